//! The schema as a comparable description: read from a live database's catalog, or parsed from
//! the checked-in expected description (`expected_schema.txt`, written from data-model.md).
//!
//! Both sides go through the same line format and parser, so a difference is always a real
//! difference. Used by the schema-compatibility test and by `innova migrate --baseline`, which
//! refuses to adopt a database whose schema differs, naming each difference
//! (`missing column attempts.trace_id`, `missing index attempts_student_id_idx`, …).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use sqlx::PgConnection;

use super::DbResult;

/// The expected description of the reference schema (see the file's header for the format).
pub const EXPECTED_SCHEMA: &str = include_str!("expected_schema.txt");

/// Tables that belong to migration tools, not to the schema.
const IGNORED_TABLES: &[&str] = &["_prisma_migrations", "_sqlx_migrations"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Enum,
    Table,
    Column,
    PrimaryKey,
    Index,
    ForeignKey,
    Constraint,
    Trigger,
    Policy,
    Function,
    Sequence,
    View,
}

/// Identity of a schema object: what is compared is the [`Item::line`] under each key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: Kind,
    /// The owning table for columns, indexes, constraints, triggers and policies.
    pub table: Option<String>,
    pub name: String,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table.as_deref().unwrap_or("?");
        match self.kind {
            Kind::Enum => write!(f, "enum {}", self.name),
            Kind::Table => write!(f, "table {}", self.name),
            Kind::Column => write!(f, "column {table}.{}", self.name),
            Kind::PrimaryKey => write!(f, "primary key {}", self.name),
            Kind::Index => write!(f, "index {}", self.name),
            Kind::ForeignKey => write!(f, "foreign key {}", self.name),
            Kind::Constraint => write!(f, "constraint {} on {table}", self.name),
            Kind::Trigger => write!(f, "trigger {} on {table}", self.name),
            Kind::Policy => write!(f, "policy \"{}\" on {table}", self.name),
            Kind::Function => write!(f, "function {}", self.name),
            Kind::Sequence => write!(f, "sequence {}", self.name),
            Kind::View => write!(f, "view {}", self.name),
        }
    }
}

/// One object of the description, as its canonical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub key: Key,
    /// Canonical text (no indentation), e.g. `column locale text not null default 'es-CL'::text`.
    pub line: String,
    /// Key columns of primary keys, indexes and foreign keys.
    pub columns: Vec<String>,
    /// The referenced table of a foreign key.
    pub references: Option<String>,
}

/// A schema: every object keyed by kind, table and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaDescription {
    pub items: BTreeMap<Key, Item>,
}

impl SchemaDescription {
    /// Parses the text format of `expected_schema.txt`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut items = BTreeMap::new();
        let mut table: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indented = raw.starts_with(' ') || raw.starts_with('\t');
            let item = parse_line(trimmed, if indented { table.as_deref() } else { None })
                .map_err(|e| format!("line {}: {e}: {trimmed}", i + 1))?;
            if item.key.kind == Kind::Table {
                table = Some(item.key.name.clone());
            } else if !indented {
                table = None;
            }
            if items.insert(item.key.clone(), item).is_some() {
                return Err(format!("line {}: duplicate entry: {trimmed}", i + 1));
            }
        }
        Ok(SchemaDescription { items })
    }

    /// The expected reference schema. Policies and helper functions only exist on Supabase
    /// (where the `auth` schema exists), so they are expected only when `with_auth` is true.
    pub fn expected(with_auth: bool) -> Self {
        let mut description = EXPECTED.clone();
        if !with_auth {
            description
                .items
                .retain(|key, _| !matches!(key.kind, Kind::Policy | Kind::Function));
        }
        description
    }

    /// Renders the canonical text: enums, then each table with its objects, then the rest.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let top = |kind: Kind| self.items.values().filter(move |i| i.key.kind == kind);
        for item in top(Kind::Enum) {
            out.push_str(&item.line);
            out.push('\n');
        }
        let tables: Vec<&Item> = top(Kind::Table).collect();
        for table in tables {
            out.push('\n');
            out.push_str(&table.line);
            out.push('\n');
            let mut children: Vec<&Item> = self
                .items
                .values()
                .filter(|i| {
                    i.key.kind != Kind::Table && i.key.table.as_deref() == Some(&table.key.name)
                })
                .collect();
            children.sort_by(|a, b| (a.key.kind, &a.key.name).cmp(&(b.key.kind, &b.key.name)));
            for child in children {
                out.push_str("  ");
                out.push_str(&child.line);
                out.push('\n');
            }
        }
        // Children of tables that are not in the description (cannot happen for a catalog).
        let orphans = self.items.values().filter(|i| {
            i.key.table.is_some()
                && i.key.kind != Kind::Table
                && !self
                    .items
                    .contains_key(&table_key(i.key.table.as_deref().unwrap()))
        });
        let rest = self
            .items
            .values()
            .filter(|i| matches!(i.key.kind, Kind::Function | Kind::Sequence | Kind::View));
        let mut tail = orphans.chain(rest).peekable();
        if tail.peek().is_some() {
            out.push('\n');
        }
        for item in tail {
            out.push_str(&item.line);
            out.push('\n');
        }
        out
    }
}

/// The parsed expected description (parsed once; a malformed file is a bug caught by tests).
static EXPECTED: LazyLock<SchemaDescription> = LazyLock::new(|| {
    SchemaDescription::parse(EXPECTED_SCHEMA).expect("expected_schema.txt is malformed")
});

/// Columns covered by a constraint or index of the expected schema, by name.
static CONSTRAINTS: LazyLock<HashMap<String, Item>> = LazyLock::new(|| {
    EXPECTED
        .items
        .values()
        .filter(|i| {
            matches!(
                i.key.kind,
                Kind::PrimaryKey | Kind::Index | Kind::ForeignKey
            )
        })
        .map(|i| (i.key.name.clone(), i.clone()))
        .collect()
});

/// The columns of a primary key, unique index or foreign key of the reference schema.
pub fn constraint_columns(name: &str) -> Option<&'static [String]> {
    CONSTRAINTS.get(name).map(|i| i.columns.as_slice())
}

/// The table a foreign key of the reference schema points at.
pub fn fk_referenced_table(name: &str) -> Option<&'static str> {
    CONSTRAINTS.get(name).and_then(|i| i.references.as_deref())
}

fn table_key(name: &str) -> Key {
    Key {
        kind: Kind::Table,
        table: Some(name.to_owned()),
        name: name.to_owned(),
    }
}

/// Parses one line of the format. `table` is the enclosing table for indented lines.
fn parse_line(line: &str, table: Option<&str>) -> Result<Item, String> {
    let line = collapse_whitespace(line);
    let child = |kind: Kind, rest: &str| -> Result<(Key, String), String> {
        let table = table.ok_or("must be indented under a table")?;
        let (name, after) = split_name(rest);
        Ok((
            Key {
                kind,
                table: Some(table.to_owned()),
                name: name.to_owned(),
            },
            after.to_owned(),
        ))
    };
    let mut columns = Vec::new();
    let mut references = None;
    let (key, line) = if let Some(rest) = line.strip_prefix("enum ") {
        let (name, _) = rest
            .split_once(':')
            .ok_or("expected `enum Name: LABEL, …`")?;
        (
            Key {
                kind: Kind::Enum,
                table: None,
                name: name.trim().to_owned(),
            },
            line.clone(),
        )
    } else if let Some(rest) = line.strip_prefix("table ") {
        let (name, _) = split_name(rest);
        (table_key(name), line.clone())
    } else if let Some(rest) = line.strip_prefix("function ") {
        let name = match rest.find(')') {
            Some(end) => &rest[..=end],
            None => return Err("expected `function name() returns type`".into()),
        };
        (
            Key {
                kind: Kind::Function,
                table: None,
                name: name.to_owned(),
            },
            line.clone(),
        )
    } else if let Some(rest) = line.strip_prefix("sequence ") {
        (
            Key {
                kind: Kind::Sequence,
                table: None,
                name: rest.to_owned(),
            },
            line.clone(),
        )
    } else if let Some(rest) = line.strip_prefix("view ") {
        (
            Key {
                kind: Kind::View,
                table: None,
                name: rest.to_owned(),
            },
            line.clone(),
        )
    } else if let Some(rest) = line.strip_prefix("column ") {
        let (key, detail) = child(Kind::Column, rest)?;
        let line = format!("column {} {}", key.name, normalize_column_detail(&detail));
        (key, line)
    } else if let Some(rest) = line.strip_prefix("primary key ") {
        let (key, detail) = child(Kind::PrimaryKey, rest)?;
        columns = parse_columns(&detail)?;
        (key, line.clone())
    } else if let Some(rest) = line
        .strip_prefix("unique index ")
        .or_else(|| line.strip_prefix("index "))
    {
        let (key, detail) = child(Kind::Index, rest)?;
        columns = parse_columns(&detail)?;
        (key, line.clone())
    } else if let Some(rest) = line.strip_prefix("foreign key ") {
        let (key, detail) = child(Kind::ForeignKey, rest)?;
        columns = parse_columns(&detail)?;
        let target = detail
            .split_once(" references ")
            .ok_or("expected `references`")?
            .1;
        references = Some(split_name(target).0.to_owned());
        (key, line.clone())
    } else if let Some(rest) = line.strip_prefix("constraint ") {
        (child(Kind::Constraint, rest)?.0, line.clone())
    } else if let Some(rest) = line.strip_prefix("trigger ") {
        (child(Kind::Trigger, rest)?.0, line.clone())
    } else if let Some(rest) = line.strip_prefix("policy ") {
        let table = table.ok_or("must be indented under a table")?;
        let rest = rest
            .strip_prefix('"')
            .ok_or("expected a quoted policy name")?;
        let (name, _) = rest.split_once('"').ok_or("unterminated policy name")?;
        (
            Key {
                kind: Kind::Policy,
                table: Some(table.to_owned()),
                name: name.to_owned(),
            },
            line.clone(),
        )
    } else {
        return Err("unknown kind of line".into());
    };
    Ok(Item {
        key,
        line,
        columns,
        references,
    })
}

fn split_name(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((name, rest)) => (name, rest),
        None => (s, ""),
    }
}

/// `(a, b) …` → `[a, b]`.
fn parse_columns(detail: &str) -> Result<Vec<String>, String> {
    let inner = detail
        .strip_prefix('(')
        .and_then(|d| d.split_once(')'))
        .map(|(inner, _)| inner)
        .ok_or("expected `(columns)`")?;
    Ok(inner.split(',').map(|c| c.trim().to_owned()).collect())
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `<type>[ not null][ default <expr>]` with numeric defaults compared by value, because
/// Prisma may have written `1.0` or `1`, and PostgreSQL prints negative numbers as
/// `'-0.5'::numeric`.
fn normalize_column_detail(detail: &str) -> String {
    match detail.split_once(" default ") {
        Some((head, expr)) => format!("{head} default {}", normalize_default(expr)),
        None => detail.to_owned(),
    }
}

fn normalize_default(expr: &str) -> String {
    let mut e = expr.trim();
    while let Some(inner) = e.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        e = inner.trim();
    }
    let mut number = e;
    if let Some((value, cast)) = e.rsplit_once("::") {
        let numeric_cast = [
            "numeric",
            "integer",
            "bigint",
            "smallint",
            "double precision",
            "real",
        ];
        if numeric_cast.contains(&cast.trim()) {
            number = value;
        }
    }
    let number = number
        .trim_matches('\'')
        .trim_matches(|c| c == '(' || c == ')');
    let looks_numeric = !number.is_empty()
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && number.chars().any(|c| c.is_ascii_digit());
    match number.parse::<f64>() {
        Ok(v) if looks_numeric => format!("{v}"),
        _ => e.to_owned(),
    }
}

/// Reads the `public` schema of the connected database into a description. Ignores the
/// migration tools' tables and objects that belong to extensions.
pub async fn read_catalog(conn: &mut PgConnection) -> DbResult<SchemaDescription> {
    let text = read_catalog_text(conn).await?;
    // The lines are generated here; failing to parse them is a bug in this module.
    Ok(SchemaDescription::parse(&text).unwrap_or_else(|e| panic!("catalog description: {e}")))
}

/// True when the database has an `auth` schema (Supabase), i.e. when the RLS policies and
/// helper functions are expected.
pub async fn has_auth_schema(conn: &mut PgConnection) -> DbResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth')")
            .fetch_one(conn)
            .await?,
    )
}

/// Filter shared by the catalog queries: objects of the public schema that no extension owns.
fn not_extension(oid: &str, catalog: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass \
         AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

/// (table, column, type, not null, default, identity, generated)
type ColumnRow = (String, String, String, bool, Option<String>, String, String);
/// (name, table, type, columns, referenced table, referenced columns, on delete, on update,
/// definition)
type ConstraintRow = (
    String,
    String,
    String,
    Vec<String>,
    Option<String>,
    Vec<String>,
    String,
    String,
    String,
);
/// (name, table, unique, method, key columns, included columns, predicate, valid)
type IndexRow = (
    String,
    String,
    bool,
    String,
    Vec<String>,
    Vec<String>,
    Option<String>,
    bool,
);

async fn read_catalog_text(conn: &mut PgConnection) -> DbResult<String> {
    let mut lines: Vec<(Option<String>, String)> = Vec::new();
    let ignored: Vec<String> = IGNORED_TABLES.iter().map(|t| t.to_string()).collect();

    let enums: Vec<(String, Vec<String>)> = sqlx::query_as(&format!(
        "SELECT t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
         FROM pg_type t
         JOIN pg_namespace n ON n.oid = t.typnamespace
         JOIN pg_enum e ON e.enumtypid = t.oid
         WHERE n.nspname = 'public' AND {}
         GROUP BY t.typname",
        not_extension("t.oid", "pg_type")
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (name, labels) in enums {
        lines.push((None, format!("enum {name}: {}", labels.join(", "))));
    }

    let relations: Vec<(String, String, bool, bool)> = sqlx::query_as(&format!(
        "SELECT c.relname::text, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
           AND NOT (c.relname = ANY($1)) AND {}",
        not_extension("c.oid", "pg_class")
    ))
    .bind(&ignored)
    .fetch_all(&mut *conn)
    .await?;
    for (name, relkind, rls, forced) in relations {
        let line = match relkind.as_str() {
            "S" => format!("sequence {name}"),
            "v" | "m" => format!("view {name}"),
            _ if forced => format!("table {name} (row level security, forced)"),
            _ if rls => format!("table {name} (row level security)"),
            _ => format!("table {name}"),
        };
        let table = matches!(relkind.as_str(), "r" | "p").then_some(name);
        lines.push((table.clone(), line));
    }

    let columns: Vec<ColumnRow> = sqlx::query_as(&format!(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
                    a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                    a.attidentity::text, a.attgenerated::text
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0
               AND NOT a.attisdropped AND NOT (c.relname = ANY($1)) AND {}",
        not_extension("c.oid", "pg_class")
    ))
    .bind(&ignored)
    .fetch_all(&mut *conn)
    .await?;
    for (table, name, ty, not_null, default, identity, generated) in columns {
        let ty = ty.replace("timestamp(3) without time zone", "timestamp(3)");
        let mut line = format!("column {name} {ty}");
        if not_null {
            line.push_str(" not null");
        }
        if let Some(expr) = default {
            if generated.is_empty() {
                line.push_str(&format!(" default {expr}"));
            } else {
                line.push_str(&format!(" generated always as ({expr})"));
            }
        }
        if !identity.is_empty() {
            line.push_str(" identity");
        }
        lines.push((Some(table), line));
    }

    let constraints: Vec<ConstraintRow> = sqlx::query_as(&format!(
        "SELECT con.conname::text, c.relname::text, con.contype::text,
                    ARRAY(SELECT a.attname::text
                          FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                          ORDER BY k.o),
                    fc.relname::text,
                    ARRAY(SELECT a.attname::text
                          FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                          ORDER BY k.o),
                    con.confdeltype::text, con.confupdtype::text, pg_get_constraintdef(con.oid)
             FROM pg_constraint con
             JOIN pg_class c ON c.oid = con.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_class fc ON fc.oid = con.confrelid
             WHERE n.nspname = 'public' AND con.contype IN ('p', 'f', 'u', 'c', 'x', 't')
               AND NOT (c.relname = ANY($1)) AND {}",
        not_extension("c.oid", "pg_class")
    ))
    .bind(&ignored)
    .fetch_all(&mut *conn)
    .await?;
    for (name, table, contype, cols, ref_table, ref_cols, on_delete, on_update, def) in constraints
    {
        let line = match contype.as_str() {
            "p" => format!("primary key {name} ({})", cols.join(", ")),
            "f" => format!(
                "foreign key {name} ({}) references {} ({}) on delete {} on update {}",
                cols.join(", "),
                ref_table.unwrap_or_default(),
                ref_cols.join(", "),
                fk_action(&on_delete),
                fk_action(&on_update),
            ),
            _ => format!("constraint {name} {def}"),
        };
        lines.push((Some(table), line));
    }

    let indexes: Vec<IndexRow> =
        sqlx::query_as(&format!(
            "SELECT i.relname::text, c.relname::text, ix.indisunique, am.amname::text,
                    ARRAY(SELECT CASE WHEN k.n = 0 THEN pg_get_indexdef(ix.indexrelid, k.o::int, true)
                                      ELSE a.attname::text END
                                 || CASE WHEN (ix.indoption[k.o - 1] & 1) = 1 THEN ' desc' ELSE '' END
                          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, o)
                          LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
                          WHERE k.o <= ix.indnkeyatts ORDER BY k.o),
                    ARRAY(SELECT a.attname::text
                          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, o)
                          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
                          WHERE k.o > ix.indnkeyatts ORDER BY k.o),
                    pg_get_expr(ix.indpred, ix.indrelid), ix.indisvalid
             FROM pg_index ix
             JOIN pg_class i ON i.oid = ix.indexrelid
             JOIN pg_class c ON c.oid = ix.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_am am ON am.oid = i.relam
             WHERE n.nspname = 'public' AND NOT ix.indisprimary
               AND NOT (c.relname = ANY($1)) AND {}",
            not_extension("c.oid", "pg_class")
        ))
        .bind(&ignored)
        .fetch_all(&mut *conn)
        .await?;
    for (name, table, unique, method, cols, include, predicate, valid) in indexes {
        let mut line = format!(
            "{}index {name} ({})",
            if unique { "unique " } else { "" },
            cols.join(", ")
        );
        if method != "btree" {
            line.push_str(&format!(" using {method}"));
        }
        if !include.is_empty() {
            line.push_str(&format!(" include ({})", include.join(", ")));
        }
        if let Some(p) = predicate {
            line.push_str(&format!(" where {p}"));
        }
        if !valid {
            line.push_str(" invalid");
        }
        lines.push((Some(table), line));
    }

    let triggers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.tgname::text, c.relname::text, pg_get_triggerdef(t.oid)
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal AND NOT (c.relname = ANY($1))",
    )
    .bind(&ignored)
    .fetch_all(&mut *conn)
    .await?;
    for (name, table, def) in triggers {
        lines.push((Some(table), format!("trigger {name} {def}")));
    }

    let policies: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT pol.polname::text, c.relname::text, pol.polcmd::text, pol.polpermissive
         FROM pg_policy pol
         JOIN pg_class c ON c.oid = pol.polrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, table, cmd, permissive) in policies {
        let cmd = match cmd.as_str() {
            "r" => "select",
            "a" => "insert",
            "w" => "update",
            "d" => "delete",
            _ => "all",
        };
        let restrictive = if permissive { "" } else { " restrictive" };
        lines.push((
            Some(table),
            format!("policy \"{name}\" for {cmd}{restrictive}"),
        ));
    }

    let functions: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT p.proname::text, pg_get_function_identity_arguments(p.oid),
                pg_get_function_result(p.oid)
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.prokind = 'f' AND {}",
        not_extension("p.oid", "pg_proc")
    ))
    .fetch_all(&mut *conn)
    .await?;
    for (name, args, result) in functions {
        lines.push((None, format!("function {name}({args}) returns {result}")));
    }

    // Emit in the file format: top-level lines, then each table's block.
    let mut text = String::new();
    let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut table_lines: BTreeMap<String, String> = BTreeMap::new();
    for (table, line) in lines {
        match table {
            Some(t) if line.starts_with("table ") => {
                table_lines.insert(t, line);
            }
            Some(t) => by_table.entry(t).or_default().push(line),
            None => {
                text.push_str(&line);
                text.push('\n');
            }
        }
    }
    for (table, line) in table_lines {
        text.push_str(&line);
        text.push('\n');
        for child in by_table.remove(&table).unwrap_or_default() {
            text.push_str("  ");
            text.push_str(&child);
            text.push('\n');
        }
    }
    Ok(text)
}

fn fk_action(code: &str) -> &'static str {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "unknown",
    }
}

/// The differences between an expected and an actual schema.
#[derive(Clone, Debug)]
pub struct SchemaDiff {
    /// One readable sentence per difference (`missing column attempts.trace_id`).
    pub differences: Vec<String>,
    expected_text: String,
    actual_text: String,
}

impl SchemaDiff {
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// A unified line diff of the two canonical renderings (`-` expected, `+` actual).
    pub fn unified_diff(&self) -> String {
        similar::TextDiff::from_lines(&self.expected_text, &self.actual_text)
            .unified_diff()
            .context_radius(2)
            .header("expected", "actual")
            .to_string()
    }
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(f, "no differences");
        }
        for d in &self.differences {
            writeln!(f, "{d}")?;
        }
        write!(f, "\n{}", self.unified_diff())
    }
}

/// The prefix of the project's own indexes on reference tables (`migrations/`, after the
/// initial one): additions the reference system never reads, so a database with them still has
/// the reference's schema (and one without them, the reference's own, still baselines).
pub const OWN_INDEX_PREFIX: &str = "innova_";

/// Whether `key` is one of the project's own indexes ([`OWN_INDEX_PREFIX`]).
pub fn is_own_index(key: &Key) -> bool {
    key.kind == Kind::Index && key.name.starts_with(OWN_INDEX_PREFIX)
}

/// Compares two descriptions. Functions are only checked for presence: a database may hold
/// functions of its own (Supabase projects often do); the project's own indexes
/// ([`is_own_index`]) are not differences.
pub fn compare(expected: &SchemaDescription, actual: &SchemaDescription) -> SchemaDiff {
    let mut differences = Vec::new();
    let missing_table = |d: &SchemaDescription, key: &Key| {
        key.kind != Kind::Table
            && key
                .table
                .as_deref()
                .is_some_and(|t| !d.items.contains_key(&table_key(t)))
    };
    for (key, item) in &expected.items {
        match actual.items.get(key) {
            None if missing_table(actual, key) => {}
            None => differences.push(format!("missing {key}")),
            Some(found) if found.line != item.line => differences.push(format!(
                "{key} differs: expected `{}`, found `{}`",
                item.line, found.line
            )),
            Some(_) => {}
        }
    }
    for key in actual.items.keys() {
        if !expected.items.contains_key(key)
            && key.kind != Kind::Function
            && !is_own_index(key)
            && !missing_table(expected, key)
        {
            differences.push(format!("unexpected {key}"));
        }
    }
    // Render the actual side without functions that are not expected, to keep the diff quiet.
    let mut shown = actual.clone();
    shown
        .items
        .retain(|k, _| k.kind != Kind::Function || expected.items.contains_key(k));
    SchemaDiff {
        differences,
        expected_text: expected.render(),
        actual_text: shown.render(),
    }
}

/// Reads the connected database and compares it with the expected reference schema.
pub async fn check(conn: &mut PgConnection) -> DbResult<SchemaDiff> {
    let with_auth = has_auth_schema(conn).await?;
    let actual = read_catalog(conn).await?;
    Ok(compare(&SchemaDescription::expected(with_auth), &actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_schema_parses_with_38_tables_and_7_enums() {
        let d = SchemaDescription::expected(true);
        let count = |kind| d.items.keys().filter(|k| k.kind == kind).count();
        assert_eq!(count(Kind::Table), 38);
        assert_eq!(count(Kind::Enum), 7);
        assert_eq!(count(Kind::Policy), 23);
        assert_eq!(count(Kind::Function), 2);
        let rls = d
            .items
            .values()
            .filter(|i| i.line.ends_with("(row level security)"))
            .count();
        assert_eq!(rls, 13);
        assert_eq!(
            SchemaDescription::expected(false).items.len(),
            d.items.len() - 25
        );
    }

    #[test]
    fn rendering_round_trips() {
        let d = SchemaDescription::expected(true);
        assert_eq!(SchemaDescription::parse(&d.render()).unwrap(), d);
    }

    #[test]
    fn numeric_defaults_compare_by_value() {
        assert_eq!(normalize_default("1.0"), "1");
        assert_eq!(normalize_default("0.3"), "0.3");
        assert_eq!(normalize_default("'-0.5'::numeric"), "-0.5");
        assert_eq!(normalize_default("'-1'::integer"), "-1");
        assert_eq!(normalize_default("'es'::text"), "'es'::text");
        assert_eq!(normalize_default("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP");
        assert_eq!(normalize_default("'{}'::jsonb"), "'{}'::jsonb");
    }

    #[test]
    fn differences_are_named() {
        let expected = SchemaDescription::parse(
            "table attempts\n  column id text not null\n  column trace_id text not null\n  \
             index attempts_student_id_idx (student_id)\n",
        )
        .unwrap();
        let actual =
            SchemaDescription::parse("table attempts\n  column id text\n  column extra text\n")
                .unwrap();
        let diff = compare(&expected, &actual);
        assert_eq!(
            diff.differences,
            [
                "column attempts.id differs: expected `column id text not null`, found `column id text`",
                "missing column attempts.trace_id",
                "missing index attempts_student_id_idx",
                "unexpected column attempts.extra",
            ]
        );
        assert!(
            diff.unified_diff()
                .contains("-  column trace_id text not null")
        );
    }
}
