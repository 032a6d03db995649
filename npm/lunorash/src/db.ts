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
  /** Search index name → its search field and filter fields (a union of names); absent: none. */
  searchIndexes?: Record<string, { searchField: string; filterFields: string }>;
}

/** The generated `DataModel`: table name → table info. */
export type GenericDataModel = Record<string, GenericTableInfo>;

export type TableNamesIn<DataModel extends GenericDataModel> = keyof DataModel & string;
export type DocumentOf<DataModel extends GenericDataModel, Table extends TableNamesIn<DataModel>> =
  DataModel[Table]["document"];

/** The type of `Field` in `Doc`; for a union table's document, its type in the variants that have it. */
type FieldValue<Doc, Field> = Doc extends unknown ? (Field extends keyof Doc ? Doc[Field] : never) : never;
/** Every field name of any variant of `Doc` (a union table's document is a union). */
type FieldName<Doc> = Doc extends unknown ? keyof Doc & string : never;
/** A field's value as a filter reads it: `undefined` too where some variant lacks the field. */
type FilterValue<Doc, Field> = FieldValue<Doc, Field> | (Field extends keyof Doc ? never : undefined);
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

/** A value computed per document by Convex's filter builder (`q.field("x")`, `q.add(...)`). */
export interface Expression<T> {
  readonly __expression: T;
}
export type ExpressionOrValue<T> = Expression<T> | T;

/**
 * Convex's filter builder, `.filter((q) => q.eq(q.field("done"), false))`: values compare in
 * Convex's order (undefined < null < int64 < number < boolean < string < bytes < array < object).
 */
export interface FilterBuilder<Doc> {
  field<Field extends FieldName<Doc>>(name: Field): Expression<FilterValue<Doc, Field>>;
  /** A nested field, `"author.name"`. */
  field(path: `${string}.${string}`): Expression<unknown>;
  eq<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  neq<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  lt<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  lte<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  gt<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  gte<T>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<boolean>;
  and(...exprs: ExpressionOrValue<boolean>[]): Expression<boolean>;
  or(...exprs: ExpressionOrValue<boolean>[]): Expression<boolean>;
  not(x: ExpressionOrValue<boolean>): Expression<boolean>;
  add<T extends number | bigint>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<T>;
  sub<T extends number | bigint>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<T>;
  mul<T extends number | bigint>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<T>;
  div<T extends number | bigint>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<T>;
  mod<T extends number | bigint>(l: ExpressionOrValue<T>, r: ExpressionOrValue<T>): Expression<T>;
  neg<T extends number | bigint>(x: ExpressionOrValue<T>): Expression<T>;
}

export interface Query<TableInfo extends GenericTableInfo> extends AsyncIterable<TableInfo["document"]> {
  order(order: "asc" | "desc"): Query<TableInfo>;
  /**
   * Convex's builder form, `.filter((q) => q.eq(q.field("done"), false))`, or a plain predicate
   * over the document, `.filter((doc) => !doc.done)`. (One parameter type for both, because
   * TypeScript picks an overload before it checks a callback's body; the runtime tells them
   * apart by what the callback returns for the builder.)
   */
  filter(predicate: (q: FilterBuilder<TableInfo["document"]> & TableInfo["document"]) => ExpressionOrValue<boolean>): Query<TableInfo>;
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
  /** Text search (docs/ARCHITECTURE.md "Text search"): results in relevance order, at most 1024. */
  withSearchIndex<IndexName extends keyof SearchIndexesOf<TableInfo> & string>(
    indexName: IndexName,
    search: (q: SearchFilterStart<TableInfo["document"], SearchIndexesOf<TableInfo>[IndexName]>) => SearchFilter,
  ): SearchQuery<TableInfo>;
}

/** After `q.search(...)`: equalities on the search index's filter fields. */
export interface SearchFilterBuilder<Doc, FilterFields extends string> extends SearchFilter {
  eq<Field extends FilterFields>(field: Field, value: FieldValue<Doc, Field>): SearchFilterBuilder<Doc, FilterFields>;
}

/** The value returned from a `withSearchIndex` callback. */
export interface SearchFilter {
  /** Type-level only. */
  readonly __searchFilter?: true;
}

/** `q` in `withSearchIndex(name, q => q.search(searchField, text).eq(...))`. */
export interface SearchFilterStart<Doc, Index> {
  search(
    field: Index extends { searchField: infer F } ? F : never,
    text: string,
  ): SearchFilterBuilder<Doc, Index extends { filterFields: infer F extends string } ? F : never>;
}

type SearchIndexesOf<TableInfo extends GenericTableInfo> = TableInfo["searchIndexes"] extends Record<string, { searchField: string; filterFields: string }>
  ? TableInfo["searchIndexes"]
  : Record<never, { searchField: string; filterFields: string }>;

/** A search query: relevance order, so no `.order(...)` (and no `.unique()`). */
export interface SearchQuery<TableInfo extends GenericTableInfo> {
  filter(predicate: (q: FilterBuilder<TableInfo["document"]> & TableInfo["document"]) => ExpressionOrValue<boolean>): SearchQuery<TableInfo>;
  collect(): Promise<TableInfo["document"][]>;
  take(n: number): Promise<TableInfo["document"][]>;
  first(): Promise<TableInfo["document"] | null>;
  paginate(options: PaginationOptions): Promise<PaginationResult<TableInfo["document"]>>;
}

export interface GenericDatabaseReader<DataModel extends GenericDataModel> {
  get<Table extends TableNamesIn<DataModel>>(id: GenericId<Table>): Promise<DataModel[Table]["document"] | null>;
  /** Table first (as Convex also writes it): the id must be of `table`. */
  get<Table extends TableNamesIn<DataModel>>(table: Table, id: GenericId<NoInfer<Table>>): Promise<DataModel[Table]["document"] | null>;
  query<Table extends TableNamesIn<DataModel>>(table: Table): QueryInitializer<DataModel[Table]>;
  /** The id when `id` is a well-formed id of `table` (e.g. from a URL), else null. */
  normalizeId<Table extends TableNamesIn<DataModel>>(table: Table, id: string): GenericId<Table> | null;
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
  patch<Table extends TableNamesIn<DataModel>>(
    table: Table,
    id: GenericId<NoInfer<Table>>,
    partial: Partial<DataModel[Table]["insert"]>,
  ): Promise<void>;
  replace<Table extends TableNamesIn<DataModel>>(
    id: GenericId<Table>,
    doc: DataModel[Table]["insert"],
  ): Promise<void>;
  replace<Table extends TableNamesIn<DataModel>>(
    table: Table,
    id: GenericId<NoInfer<Table>>,
    doc: DataModel[Table]["insert"],
  ): Promise<void>;
  delete(id: GenericId<TableNamesIn<DataModel>>): Promise<void>;
  delete<Table extends TableNamesIn<DataModel>>(table: Table, id: GenericId<NoInfer<Table>>): Promise<void>;
}

/** Convex's `UserIdentity`: `tokenIdentifier` is `<issuer>|<subject>`, unique per user. */
export interface UserIdentity {
  readonly subject: string;
  readonly issuer: string;
  readonly tokenIdentifier: string;
  readonly name?: string;
}

/**
 * The table of `ctx.auth.userId`: the built-in `users`, or `_identities` when the app owns its
 * `users` table (any other shape; the generated data model then has `_identities`).
 */
export type IdentityTable<DataModel> = "_identities" extends keyof DataModel ? "_identities" : "users";

export interface Auth<UserTable extends string = "users"> {
  /** The signed-in user's identity row (`users`, or `_identities` when the app owns `users`), or null. */
  readonly userId: GenericId<UserTable> | null;
  /** The signed-in user's identity (Convex's shape), or null; a query reads the user's row for it. */
  getUserIdentity(): Promise<UserIdentity | null>;
}
