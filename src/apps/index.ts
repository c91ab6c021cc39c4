// apps: what minicloud does for an app apart from HTTP: create, destroy, change config, restart, deploys waited for.
export { AppsService, appDirs, type AppsDeps, type ConfigChanges } from './service.ts';
export { PreviewsService, type PreviewsDeps, type PreviewsStatus } from './previews.ts';
