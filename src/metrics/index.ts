// metrics: Prometheus metrics of the router and the instances, and each app's minutes: the last hour in memory,
// 7 days in the state file (history.ts).
export { Metrics, parseAccessLine, type InstanceRef, type MetricsOptions } from './metrics.ts';
export { MinuteSeries, percentile, statusClass, type MinutePoint } from './series.ts';
export { MetricsHistory, RANGES, combine, historySetting, rollup, type HistoryPoint, type HistoryStore, type Range } from './history.ts';
export { groupUsage, parseRss, parseStat, type ProcUsage } from './proc.ts';
export { containerId, containerUsage, instanceUsage, parseCgroupFile, parseKeyed, parseMountinfo, type CgroupEntry, type CgroupMount, type CgroupReader } from './cgroup.ts';
