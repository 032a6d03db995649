//! Human descriptions of steps and data loss (one line each), shared by the
//! SQL comments, `migrate generate` output and `migrate check` drift reports.

use super::diff::{DataLoss, Refusal, Step};

pub fn describe(step: &Step) -> String {
    match step {
        Step::RenameTable { from, to } => format!("rename table `{from}` to `{to}`"),
        Step::DropIndex { table, index } => format!("drop index `{table}.{index}`"),
        Step::DropTable { table } => format!("drop table `{table}`"),
        Step::CreateTable { table, def } => {
            format!("create table `{table}` ({} columns)", def.columns.len() + 2)
        }
        Step::RenameColumn { table, from, to } => {
            format!("rename column `{table}.{from}` to `{to}`")
        }
        Step::DropColumn { table, column } => format!("drop column `{table}.{column}`"),
        Step::AddColumn { table, column } => format!(
            "add column `{table}.{}` {}{}",
            column.name,
            column.sql_type.as_str(),
            if column.nullable { "" } else { " NOT NULL" }
        ),
        Step::RebuildTable { table, changes, .. } => {
            let what: Vec<String> = changes
                .iter()
                .map(|c| {
                    let null = |n: bool| if n { "NULL" } else { "NOT NULL" };
                    let encodings = c
                        .from
                        .reencoded(&c.to)
                        .map(|(a, b)| format!(" (re-encoded {} → {})", a.as_str(), b.as_str()))
                        .unwrap_or_default();
                    format!(
                        "`{}` {} {} → {} {}{encodings}",
                        c.column,
                        c.from.sql_type.as_str(),
                        null(c.from.nullable),
                        c.to.sql_type.as_str(),
                        null(c.to.nullable)
                    )
                })
                .collect();
            format!("rebuild table `{table}`: {}", what.join(", "))
        }
        Step::CreateIndex { table, index, def } => format!(
            "create {}index `{table}.{index}` on ({})",
            if def.unique { "unique " } else { "" },
            def.columns.join(", ")
        ),
        Step::DropSearchIndex { table, index } => format!("drop search index `{table}.{index}`"),
        Step::CreateSearchIndex {
            table,
            index,
            column,
        } => format!(
            "create search index `{table}.{index}` on {column} (filled from the existing rows)"
        ),
    }
}

pub fn describe_loss(loss: &DataLoss) -> String {
    match loss {
        DataLoss::Table { table } => format!("table `{table}` and every row in it"),
        DataLoss::Column { table, column } => {
            format!("column `{table}.{column}` and its value in every row")
        }
        DataLoss::Narrowing {
            table,
            column,
            from,
            to,
        } => format!(
            "values of `{table}.{column}` converted from {} to {} (CAST may change or truncate them)",
            from.as_str(),
            to.as_str()
        ),
        DataLoss::NullRows { table, column } => {
            format!("rows of `{table}` where `{column}` is NULL (it becomes required)")
        }
        DataLoss::Reencoding {
            table,
            column,
            from,
            to,
        } => format!(
            "values of `{table}.{column}` re-encoded from {} to {} (a value that is not of the new \
             kind becomes absent, and its row is deleted when the field is required; numbers keep \
             15 significant digits)",
            from.as_str(),
            to.as_str()
        ),
    }
}

pub fn describe_refusal(refusal: &Refusal) -> (String, String) {
    match refusal {
        Refusal::RequiredColumn { table, column } => (
            format!("cannot add required field `{table}.{column}` to an existing table"),
            format!(
                "the schema language has no default values, so existing rows would have no value for `{column}`; \
                 add it as `v.optional(...)`, generate a migration, fill it in, then make it required \
                 (that later step needs `--allow-data-loss` and drops rows still NULL)"
            ),
        ),
        Refusal::BadRename { rename, reason } => (
            format!("`--rename {rename}` does not apply: {reason}"),
            "use `--rename table.old=new` for a column, `--rename old=new` for a table".to_owned(),
        ),
    }
}
