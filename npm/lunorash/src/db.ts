// Types of `ctx.db` and the function contexts. The implementation lives in
// @lunora/runtime; these are the typed surface that app code compiles against.

import type { GenericId } from "./values.js";

/** Any document: user fields plus `_id` and `_creationTime`. */
export type GenericDocument = Record<string, any>;

/** What the generated `DataModel` holds per table. */
export interface GenericTableInfo {
  /** The stored document, with `_id` and `_creationTime`. */
  document: GenericDocument;
  /** The argument of `insert`/`replace`: user fields, optional ones optional. */
  insert: GenericDocument;
  /** Index name → field names in index order (ending with `_creationTime`). */
  indexes: Record<string, readonly string[]>;
}

/** The generated `DataModel`: table name → table info. */
export type GenericDataModel = Record<string, GenericTableInfo>;

export type TableNamesIn<DataModel extends GenericDataModel> = keyof DataModel & string;
export type DocumentOf<DataModel extends GenericDataModel, Table extends TableNamesIn<DataModel>> =
  DataModel[Table]["document"];

type FieldValue<Doc, Field> = Field extends keyof Doc ? Doc[Field] : never;
type Tail<Fields extends readonly string[]> = Fields extends readonly [string, ...infer Rest extends readonly string[]]
  ? Rest
  : [];

/** The value returned from a `withIndex` range callback. */
export interface IndexRange {
  /** Type-level only. */
  readonly __indexRange?: true;
}

/** After a lower bound on `Field`, only an upper bound on the same field may follow. */
export interface UpperBoundIndexRangeBuilder<Doc, Field extends string> extends IndexRange {
  lt(field: Field, value: FieldValue<Doc, Field>): IndexRange;
  lte(field: Field, value: FieldValue<Doc, Field>): IndexRange;
}

/**
 * `q` in `withIndex(name, q => ...)`: equalities on a prefix of the index
 * fields, in index order, then optionally a range on the next field.
 */
export interface IndexRangeBuilder<Doc, Fields extends readonly string[]> extends IndexRange {
  eq<Field extends Fields[0] & string>(
    field: Field,
    value: FieldValue<Doc, Field>,
  ): IndexRangeBuilder<Doc, Tail<Fields>>;
  gt<Field extends Fields[0] & string>(
    field: Field,
    value: FieldValue<Doc, Field>,
  ): UpperBoundIndexRangeBuilder<Doc, Field>;
  gte<Field extends Fields[0] & string>(
    field: Field,
    value: FieldValue<Doc, Field>,
  ): UpperBoundIndexRangeBuilder<Doc, Field>;
  lt<Field extends Fields[0] & string>(field: Field, value: FieldValue<Doc, Field>): IndexRange;
  lte<Field extends Fields[0] & string>(field: Field, value: FieldValue<Doc, Field>): IndexRange;
}

export interface PaginationOptions {
  numItems: number;
  cursor: string | null;
  /** The end of the page (inclusive), from an earlier `continueCursor`: the page is then every document up to it. */
  endCursor?: string | null | undefined;
}

export interface PaginationResult<Doc> {
  page: Doc[];
  isDone: boolean;
  continueCursor: string;
}

export interface Query<TableInfo extends GenericTableInfo> {
  order(order: "asc" | "desc"): Query<TableInfo>;
  filter(predicate: (doc: TableInfo["document"]) => boolean): Query<TableInfo>;
  collect(): Promise<TableInfo["document"][]>;
  take(n: number): Promise<TableInfo["document"][]>;
  first(): Promise<TableInfo["document"] | null>;
  /** The single matching document, null if none; throws if more than one. */
  unique(): Promise<TableInfo["document"] | null>;
  paginate(options: PaginationOptions): Promise<PaginationResult<TableInfo["document"]>>;
}

export interface QueryInitializer<TableInfo extends GenericTableInfo> extends Query<TableInfo> {
  withIndex<IndexName extends keyof TableInfo["indexes"] & string>(
    indexName: IndexName,
    range?: (q: IndexRangeBuilder<TableInfo["document"], TableInfo["indexes"][IndexName]>) => IndexRange,
  ): Query<TableInfo>;
}

export interface GenericDatabaseReader<DataModel extends GenericDataModel> {
  get<Table extends TableNamesIn<DataModel>>(id: GenericId<Table>): Promise<DataModel[Table]["document"] | null>;
  query<Table extends TableNamesIn<DataModel>>(table: Table): QueryInitializer<DataModel[Table]>;
}

export interface GenericDatabaseWriter<DataModel extends GenericDataModel> extends GenericDatabaseReader<DataModel> {
  insert<Table extends TableNamesIn<DataModel>>(
    table: Table,
    doc: DataModel[Table]["insert"],
  ): Promise<GenericId<Table>>;
  patch<Table extends TableNamesIn<DataModel>>(
    id: GenericId<Table>,
    partial: Partial<DataModel[Table]["insert"]>,
  ): Promise<void>;
  replace<Table extends TableNamesIn<DataModel>>(
    id: GenericId<Table>,
    doc: DataModel[Table]["insert"],
  ): Promise<void>;
  delete(id: GenericId<TableNamesIn<DataModel>>): Promise<void>;
}

export interface Auth {
  /** The signed-in user, or null. */
  readonly userId: GenericId<"users"> | null;
}
