export { type ConfigSources, loadConfig } from './load.ts';
export { type Config, SETTINGS, type SettingName, type SettingSpec } from './settings.ts';
