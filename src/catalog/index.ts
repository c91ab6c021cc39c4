// catalog: the app catalog (catalog/*.json at the repository root, schema-checked) and installing an entry as an app.
export { CATALOG_DIR, catalogEntry, inputPattern, loadCatalog, processEnv, readEntry, type CatalogEntry } from './entries.ts';
export { CatalogInstaller, planInstall, runAs, type InstallPlan, type InstallerDeps } from './install.ts';
export { CatalogUpgrader, type UpgraderDeps } from './upgrade.ts';
export { compareVersions, entryVersions } from './versions.ts';
export { ComposeInstaller, type ComposeDeps, type ComposeRequest } from './compose-install.ts';
