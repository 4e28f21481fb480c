export { type ConfigSources, loadConfig } from './load.ts';
export {
  type Config,
  type MllpInterfaceConfig,
  SETTINGS,
  type SettingName,
  type SettingSpec,
} from './settings.ts';
