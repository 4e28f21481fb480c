export { type ConfigSources, loadConfig } from './load.ts';
export {
  type Config,
  type MllpInterfaceConfig,
  type OutboxDestinationConfig,
  SETTINGS,
  type SettingName,
  type SettingSpec,
} from './settings.ts';
