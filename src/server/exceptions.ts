import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  approveEdit,
  type ExceptionReplayDeps,
  proposeEdit,
  rejectEdit,
  replayException,
  replayExceptions,
} from '../apply/exception-replay.ts';
import { CrosswalkError } from '../errors/index.ts';
import {
  allowedActions,
  type Command,
  EXCEPTION_STATUSES,
  type ExceptionStatus,
  isOverdue,
  parseEdit,
  reasonOf,
} from '../exceptions/index.ts';
import {
  actOnException,
  type ExceptionFilter,
  type ExceptionRecord,
  historyOf,
  listExceptions,
  requireException,
  revisionsOf,
} from '../store/exceptions-repository.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { subjectOf } from './auth.ts';

/**
 * /api/exceptions: the work-queue over HTTP, the same actions as `crosswalk exceptions`. The person
 * acting is the authenticated principal (auth.ts); an `actor` field may still be sent but must name them.
 */

/** JSON-safe: bigint ids and amounts as strings. */
const plain = <T>(v: T): unknown =>
  JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } },
} as const;
const actor = { type: 'string', minLength: 1, maxLength: 100 } as const;
const errorRef = { $ref: 'Error#' };

/** An exception as the API shows it in lists. */
export function exceptionView(x: ExceptionRecord, now: Date) {
  return {
    ...x,
    reason: reasonOf(x.reasonCode),
    overdue: isOverdue(x, now),
    allowedActions: allowedActions(x.status),
  };
}

/** Everything `show` prints: the exception, its reason, the message it concerns, history and revisions. */
export async function exceptionDetail(db: SqlExecutor, id: bigint, now: Date) {
  const x = await requireException(db, id);
  const messageId = x.failedMessage?.id ?? x.messageId;
  const [m] =
    messageId === null
      ? []
      : await db.query(
          `SELECT id, sender, control_id, message_type, interface_name, received_at, content_sha256
           FROM inbound_messages WHERE id = ?`,
          [messageId],
        );
  const message = m
    ? {
        id: String(m['id']),
        sender: String(m['sender']),
        controlId: String(m['control_id']),
        messageType: String(m['message_type']),
        interfaceName: String(m['interface_name']),
        receivedAt: String(m['received_at']),
        contentSha256: String(m['content_sha256']),
        outcome: x.failedMessage?.state ?? null,
      }
    : null;
  return {
    ...exceptionView(x, now),
    message,
    history: await historyOf(db, id),
    revisions: await revisionsOf(db, id),
  };
}

export function parseStatuses(given: string | undefined): ExceptionStatus[] | undefined {
  if (given === undefined || given === '') return ['open', 'assigned'];
  if (given === 'all') return undefined;
  const list = given.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(EXCEPTION_STATUSES as readonly string[]).includes(s))
      throw new CrosswalkError('CW_ERR_API_BAD_REQUEST', {
        reason: `status ${s} is not one of ${EXCEPTION_STATUSES.join(', ')} (or all)`,
      });
  }
  return list as ExceptionStatus[];
}

interface ListQuery {
  status?: string;
  team?: string;
  reasonCode?: string;
  orderingKey?: string;
  messageId?: string;
  olderThanHours?: number;
  overdue?: boolean;
  replayable?: boolean;
  limit?: number;
}

export const exceptionRoutes: FastifyPluginAsync<{
  store: Store;
  tokenKey?: Uint8Array;
  earlierTokenKeys?: readonly Uint8Array[];
  clock?: () => Date;
}> = async (app, { store, tokenKey, earlierTokenKeys = [], clock = () => new Date() }) => {
  app.addSchema({
    $id: 'Error',
    type: 'object',
    required: ['code', 'message'],
    properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
  });
  const replayDeps = (): ExceptionReplayDeps => {
    if (!tokenKey) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
        id: '-',
        reason: 'this server was started without the token key the apply stage uses',
      });
    }
    return { store, tokenKey, earlierTokenKeys, clock };
  };
  const act = async (req: FastifyRequest<{ Params: { id: string } }>, command: Command, dueAt?: string) => {
    const r = await actOnException(
      store,
      BigInt(req.params.id),
      command,
      subjectOf(req),
      clock().toISOString(),
      dueAt === undefined ? {} : { dueAt },
    );
    return plain({ exception: exceptionView(r.exception, clock()), entry: r.entry });
  };

  app.get<{ Querystring: ListQuery }>(
    '/exceptions',
    {
      config: { action: 'exceptions.read' },
      schema: {
        summary: 'The work-queue: exceptions matching the filters, oldest first (default: open and assigned)',
        tags: ['exceptions'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', description: 'comma-separated statuses, or all' },
            team: { type: 'string' },
            reasonCode: { type: 'string' },
            orderingKey: { type: 'string' },
            messageId: { type: 'string', pattern: '^[0-9]{1,18}$' },
            olderThanHours: { type: 'integer', minimum: 0 },
            overdue: { type: 'boolean' },
            replayable: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
          },
        },
        response: { 400: errorRef },
      },
    },
    async (req) => {
      const q = req.query;
      const now = clock();
      const statuses = parseStatuses(q.status);
      const filter: ExceptionFilter = {
        ...(statuses ? { statuses } : {}),
        ...(q.team ? { team: q.team } : {}),
        ...(q.reasonCode ? { reasonCode: q.reasonCode } : {}),
        ...(q.orderingKey ? { orderingKey: q.orderingKey } : {}),
        ...(q.messageId ? { messageId: BigInt(q.messageId) } : {}),
        ...(q.olderThanHours !== undefined
          ? { createdBefore: new Date(now.getTime() - q.olderThanHours * 3_600_000).toISOString() }
          : {}),
        ...(q.overdue ? { overdueAt: now } : {}),
        ...(q.replayable ? { replayable: true } : {}),
        limit: q.limit ?? 200,
      };
      return plain((await listExceptions(store, filter)).map((x) => exceptionView(x, now)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/exceptions/:id',
    {
      config: { action: 'exceptions.read' },
      schema: {
        summary: 'One exception: reason, evidence, the message it concerns, history and corrected versions',
        tags: ['exceptions'],
        params: idParams,
        response: { 404: errorRef, 400: errorRef },
      },
    },
    async (req) => plain(await exceptionDetail(store, BigInt(req.params.id), clock())),
  );

  app.post<{
    Params: { id: string };
    Body: { assignee: string; dueAt?: string; note?: string; actor?: string };
  }>(
    '/exceptions/:id/assign',
    {
      config: { action: 'exceptions.work' },
      schema: {
        summary: 'Assign (or reassign) an exception to a person, optionally with a due date',
        tags: ['exceptions'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['assignee'],
          properties: {
            assignee: actor,
            dueAt: { type: 'string', format: 'date-time' },
            note: { type: 'string' },
            actor,
          },
        },
        response: { 400: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) =>
      act(
        req,
        { kind: 'assign', assignee: req.body.assignee, note: req.body.note ?? null },
        req.body.dueAt === undefined ? undefined : new Date(req.body.dueAt).toISOString(),
      ),
  );

  const textBody = (field: string, required: boolean) => ({
    type: 'object',
    additionalProperties: false,
    ...(required ? { required: [field] } : {}),
    properties: { [field]: { type: 'string', maxLength: 2000 }, actor },
  });

  app.post<{ Params: { id: string }; Body: { text: string } }>(
    '/exceptions/:id/comments',
    {
      config: { action: 'exceptions.work' },
      schema: {
        summary: 'Comment on an exception (allowed in every status)',
        tags: ['exceptions'],
        params: idParams,
        body: textBody('text', true),
        response: { 400: errorRef, 404: errorRef },
      },
    },
    async (req) => act(req, { kind: 'comment', text: req.body.text }),
  );

  app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
    '/exceptions/:id/resolve',
    {
      config: { action: 'exceptions.work' },
      schema: {
        summary: 'Resolve an exception by hand (the cause was dealt with outside a replay)',
        tags: ['exceptions'],
        params: idParams,
        body: textBody('note', false),
        response: { 400: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) => act(req, { kind: 'resolve', note: req.body?.note ?? null }),
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/exceptions/:id/ignore',
    {
      config: { action: 'exceptions.work' },
      schema: {
        summary: 'Ignore an exception, with the reason why (kept on record)',
        tags: ['exceptions'],
        params: idParams,
        body: textBody('reason', true),
        response: { 400: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) => act(req, { kind: 'ignore', reason: req.body.reason }),
  );

  app.post<{
    Params: { id: string };
    Body: { edits?: string[]; reason?: string; actor?: string } | undefined;
  }>(
    '/exceptions/:id/replay',
    {
      config: { action: 'exceptions.replay' },
      schema: {
        summary:
          'Replay the failed message with the active release and master data; with edits (POSITION=VALUE), store a corrected version first (financial fields wait for a second person)',
        tags: ['exceptions'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            edits: { type: 'array', items: { type: 'string', maxLength: 600 }, maxItems: 50 },
            reason: { type: 'string', maxLength: 2000 },
            actor,
          },
        },
        response: { 400: errorRef, 403: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) => {
      const id = BigInt(req.params.id);
      const edits = req.body?.edits ?? [];
      if (edits.length > 0) {
        await app.authorizeAlso(req, 'exceptions.edit');
        return plain(
          await proposeEdit(replayDeps(), id, edits.map(parseEdit), subjectOf(req), req.body?.reason ?? null),
        );
      }
      return plain(await replayException(replayDeps(), id, subjectOf(req)));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/exceptions/:id/approve',
    {
      config: { action: 'exceptions.approve_edit' },
      schema: {
        summary: 'Approve the pending corrected version (someone other than its editor) and replay it',
        tags: ['exceptions'],
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { actor } },
        response: { 400: errorRef, 403: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) => plain(await approveEdit(replayDeps(), BigInt(req.params.id), subjectOf(req))),
  );

  app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
    '/exceptions/:id/reject',
    {
      config: { action: 'exceptions.approve_edit' },
      schema: {
        summary: 'Turn down the pending corrected version',
        tags: ['exceptions'],
        params: idParams,
        body: textBody('note', false),
        response: { 400: errorRef, 403: errorRef, 404: errorRef, 409: errorRef },
      },
    },
    async (req) =>
      plain(
        await rejectEdit({ store, clock }, BigInt(req.params.id), subjectOf(req), req.body?.note ?? null),
      ),
  );

  app.post<{
    Body: { reasonCode?: string; team?: string; orderingKey?: string; all?: boolean; actor?: string };
  }>(
    '/exceptions/replay',
    {
      config: { action: 'exceptions.replay' },
      schema: {
        summary:
          'Replay every replayable exception of a reason code, team or ordering key (or all), in arrival order',
        tags: ['exceptions'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            reasonCode: { type: 'string' },
            team: { type: 'string' },
            orderingKey: { type: 'string' },
            all: { type: 'boolean' },
            actor,
          },
        },
        response: { 400: errorRef },
      },
    },
    async (req) => {
      const b = req.body ?? {};
      if (!b.all && !b.reasonCode && !b.team && !b.orderingKey) {
        throw new CrosswalkError('CW_ERR_API_BAD_REQUEST', {
          reason: 'name what to replay: reasonCode, team, orderingKey, or all: true',
        });
      }
      const reports = await replayExceptions(
        replayDeps(),
        {
          ...(b.reasonCode ? { reasonCode: b.reasonCode } : {}),
          ...(b.team ? { team: b.team } : {}),
          ...(b.orderingKey ? { orderingKey: b.orderingKey } : {}),
        },
        subjectOf(req),
      );
      return plain({ replayed: reports.length, reports });
    },
  );
};
