import type { Database } from "../database/database";
import { badCursor } from "../errors";
import { AuditEvent } from "./audit-event.entity";
import type { AuditEventConnection } from "./audit-event.types";

interface Cursor {
  occurredAt: Date;
  id: string;
}

/** Reads a project's audit trail, newest first, a page at a time (keyset pagination: stable under inserts). */
export class AuditEventService {
  constructor(private readonly db: Database) {}

  async page(projectId: string, first: number, after: string | null | undefined): Promise<AuditEventConnection> {
    const cursor = after ? decodeCursor(after) : null;
    const events = await this.db.execute((manager) => {
      const query = manager
        .createQueryBuilder(AuditEvent, "event")
        .where("event.project_id = :projectId", { projectId })
        .orderBy("event.occurred_at", "DESC")
        .addOrderBy("event.id", "DESC")
        .take(first + 1);
      if (cursor) {
        query.andWhere("(event.occurred_at < :at OR (event.occurred_at = :at AND event.id < :id))", {
          at: cursor.occurredAt,
          id: cursor.id,
        });
      }
      return query.getMany();
    });
    const page = events.slice(0, first);
    const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: events.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}

function encodeCursor(event: AuditEvent): string {
  return Buffer.from(`${event.occurredAt.toISOString()}|${event.id}`).toString("base64url");
}

function decodeCursor(value: string): Cursor {
  const [at, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const occurredAt = new Date(at ?? "");
  if (!id || Number.isNaN(occurredAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw badCursor();
  return { occurredAt, id };
}
