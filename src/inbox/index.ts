export { GroupCommitter } from './group-commit.ts';
export {
  Inbox,
  type InboxObserver,
  type InboxOptions,
  type InboxOutcome,
  type InterfaceSettings,
} from './inbox.ts';
export { type MllpIngest, type MllpIngestOptions, startMllpIngest } from './mllp-ingest.ts';
