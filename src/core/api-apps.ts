// The REST API's shapes for an app's own settings, name and console (core/api.ts holds the rest; it is full).

/** `PATCH /api/apps/:app` (`apps:set`): the settings of an app itself; each one given is changed. */
export interface AppSettingsRequest { branch?: string }
