// metrics: Prometheus metrics of the router and the instances, and each app's last hour minute by minute.
export { Metrics, parseAccessLine, type InstanceRef, type MetricsOptions } from './metrics.ts';
export { MinuteSeries, percentile, statusClass, type MinutePoint } from './series.ts';
export { groupUsage, parseRss, parseStat, type ProcUsage } from './proc.ts';
export { containerId, containerUsage, instanceUsage, parseCgroupFile, parseKeyed, parseMountinfo, type CgroupEntry, type CgroupMount, type CgroupReader } from './cgroup.ts';
