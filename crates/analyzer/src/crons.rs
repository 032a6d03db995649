//! Cron jobs: `lunora/crons.ts` read statically in pass 1 (Convex's
//! `cronJobs()` and `crons.interval/hourly/daily/weekly/monthly/cron(...)`),
//! each schedule turned into the Cloudflare Cron Trigger expression that
//! fires it; pass 5 checks each job's function reference and args as the
//! scheduler pass checks `ctx.scheduler` calls (docs/ARCHITECTURE.md, "Cron jobs").
//!
//! Cloudflare triggers are wall-clock UTC with minute granularity, so an
//! `interval` must divide the hour (minutes) or the day (hours): Convex's
//! "every 7 minutes from deploy time" has no trigger, and is reported.

use std::collections::HashMap;

use lunora_parser::summary::Expr;
use lunora_parser::{Code, Diagnostic, FileId, FileSpan, Span};

use crate::builder::{NotBuilder, TopStatement, default_builder_binding, top_statement};
use crate::eval::{Eval, Mode, Val, ValKind};
use crate::ir::{CronJob, Crons, Function, Module};
use crate::load::Loader;
use crate::scheduler;
use crate::suggest::did_you_mean;

/// The module whose default export is the `cronJobs()` object.
pub const CRONS_MODULE: &str = "crons";
pub const CRONS_FILE: &str = "lunora/crons.ts";

const NOT_STATIC_HELP: &str = "write `const crons = cronJobs();`, then `crons.daily(\"cleanup\", { hourUTC: 3, minuteUTC: 0 }, internal.jobs.cleanup);` at the top level, and `export default crons;`";
const METHODS: [&str; 6] = ["interval", "hourly", "daily", "weekly", "monthly", "cron"];
const DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
/// Day names of Cloudflare's day-of-week field (it numbers days 1-7 from
/// Sunday, Unix cron 0-6: names mean the same to both).
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A job as pass 1 read it; pass 5 resolves its function.
#[derive(Clone)]
pub struct CronDraft {
    pub name: String,
    pub cron: String,
    pub file: FileId,
    pub call_span: Span,
    /// `internal.jobs.cleanup` as written, and its path.
    pub target: Expr,
    pub path: String,
    pub args: Option<Expr>,
}

fn not_static(file: FileId, span: Span, message: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::error(Code::CronsNotStatic, message)
        .with_label(file, span, label)
        .with_help(help)
}

/// The evaluator reports `crons/not-static` in `crons.ts`.
const MODE: Mode = Mode {
    code: Code::CronsNotStatic,
    help: NOT_STATIC_HELP,
};

/// Pass 1 of `lunora/crons.ts`: its jobs, `None` when any was reported.
pub fn collect(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    d: &mut Vec<Diagnostic>,
) -> Option<Vec<CronDraft>> {
    let m = ld.module_arc(file);
    let errors_before = d.iter().filter(|x| x.is_error()).count();
    let crons = match default_builder_binding(ld, file, "cronJobs") {
        Ok((crons, _)) => crons,
        Err(NotBuilder::NotAName(span)) => {
            d.push(not_static(
                file,
                span,
                "the default export of `lunora/crons.ts` must name its `cronJobs()`".into(),
                "not a `const` bound to `cronJobs()`",
                NOT_STATIC_HELP.into(),
            ));
            return None;
        }
        Err(NotBuilder::NoDefault) => {
            d.push(
                Diagnostic::error(
                    Code::CronsNoDefaultExport,
                    "`lunora/crons.ts` does not export its cron jobs by default",
                )
                .with_label(file, Span::EMPTY, "")
                .with_path(&module.file)
                .with_help(
                    "end the file with `export default crons;` (`crons` being `cronJobs()`)",
                ),
            );
            return None;
        }
        Err(NotBuilder::NotBound(crons, crons_use)) => {
            d.push(not_static(
                file,
                crons_use,
                format!("`{crons}`, the default export of `lunora/crons.ts`, is not `cronJobs()`"),
                "exported here",
                "declare it `const crons = cronJobs();` with `cronJobs` imported from `lunorash/server`".into(),
            ));
            return None;
        }
    };
    let mut jobs: Vec<CronDraft> = Vec::new();
    let mut seen: HashMap<String, Span> = HashMap::new();
    for st in &m.statements {
        let (e, method, args) = match top_statement(st) {
            TopStatement::MethodCall {
                call,
                object,
                method,
                args,
            } if object == crons => (call, method, args),
            TopStatement::MethodCall { call, .. } => {
                not_static_statement(file, call.span, &crons, d);
                continue;
            }
            TopStatement::OtherExpr(span) => {
                not_static_statement(file, span, &crons, d);
                continue;
            }
            TopStatement::Other { what, span } => {
                d.push(not_static(
                    file,
                    span,
                    format!("{what} at the top level of `lunora/crons.ts`"),
                    "jobs registered here cannot be read without running the code",
                    format!("register every job with a top-level `{crons}.daily(...)`, `{crons}.interval(...)`, ..."),
                ));
                continue;
            }
        };
        if !METHODS.contains(&method) {
            let help = did_you_mean(method, "", METHODS).unwrap_or_else(|| {
                "the methods are `interval`, `hourly`, `daily`, `weekly`, `monthly` and `cron`"
                    .to_string()
            });
            d.push(not_static(
                file,
                e.span,
                format!("`{crons}.{method}(...)` registers no cron job"),
                "not a `cronJobs()` method",
                help,
            ));
            continue;
        }
        let Some(job) = read_job(ld, ev, file, method, e.span, args, d) else {
            continue;
        };
        if let Some(&first) = seen.get(&job.name) {
            d.push(
                Diagnostic::error(
                    Code::CronsDuplicateName,
                    format!("two cron jobs named `{}`", job.name),
                )
                .with_label(file, job.call_span, "registered again here")
                .and_label(file, first, "first registered here")
                .with_help("each cron job has a unique name: rename one"),
            );
            continue;
        }
        seen.insert(job.name.clone(), job.call_span);
        jobs.push(job);
    }
    let errors_after = d.iter().filter(|x| x.is_error()).count();
    (errors_after == errors_before).then_some(jobs)
}

fn not_static_statement(file: FileId, span: Span, crons: &str, d: &mut Vec<Diagnostic>) {
    d.push(not_static(
        file,
        span,
        "a top-level statement in `lunora/crons.ts` that is not a cron job".into(),
        &format!("only `{crons}.<schedule>(...)` calls may stand here"),
        format!("register every job with a top-level `{crons}.interval(...)`, `{crons}.daily(...)`, ...; helpers that register jobs cannot be read without running them"),
    ));
}

/// One `crons.<method>(name, schedule, ref, args?)`. `None` when reported.
fn read_job(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    method: &str,
    call_span: Span,
    args: &[Expr],
    d: &mut Vec<Diagnostic>,
) -> Option<CronDraft> {
    let usage = match method {
        "interval" => "crons.interval(\"name\", { minutes: 5 }, internal.module.fn, args?)",
        "hourly" => "crons.hourly(\"name\", { minuteUTC: 0 }, internal.module.fn, args?)",
        "daily" => "crons.daily(\"name\", { hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)",
        "weekly" => {
            "crons.weekly(\"name\", { dayOfWeek: \"monday\", hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)"
        }
        "monthly" => {
            "crons.monthly(\"name\", { day: 1, hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)"
        }
        _ => "crons.cron(\"name\", \"0 3 * * *\", internal.module.fn, args?)",
    };
    if args.len() < 3 || args.len() > 4 {
        d.push(not_static(
            file,
            call_span,
            format!("`{method}(...)` takes a name, a schedule, a function and its args"),
            "expected 3 or 4 arguments",
            format!("write `{usage}`"),
        ));
        return None;
    }
    let name = match ev.eval(ld, file, &args[0], MODE, d)? {
        Val {
            kind: ValKind::Str(s),
            ..
        } => s,
        v => {
            d.push(not_static(
                file,
                args[0].span,
                "a cron job's name must be a string".into(),
                &format!("{}, not a string", v.describe()),
                "write the name as a string literal or a `const` string".into(),
            ));
            return None;
        }
    };
    let schedule = ev.eval(ld, file, &args[1], MODE, d)?;
    let cron = schedule_expression(method, &schedule, usage, d)?;
    let target = &args[2];
    let Some(path) = scheduler::ref_path(target) else {
        d.push(not_static(
            file,
            target.span,
            format!("the function of cron job `{name}` is not written as a reference"),
            "expected `internal.<module>.<function>` or `api.<module>.<function>`",
            "name the function directly, e.g. `internal.jobs.cleanup`, from `./_generated/api`"
                .into(),
        ));
        return None;
    };
    Some(CronDraft {
        name,
        cron,
        file,
        call_span,
        target: target.clone(),
        path,
        args: args.get(3).cloned(),
    })
}

fn invalid(at: FileSpan, message: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::error(Code::CronsInvalidSchedule, message)
        .with_label(at.file, at.span, label)
        .with_help(help)
}

/// A whole number option of a schedule object, in `lo..=hi`.
fn number(v: &Val, key: &str, lo: u32, hi: u32, d: &mut Vec<Diagnostic>) -> Option<u32> {
    let n = match &v.kind {
        ValKind::Num(raw) => raw.replace('_', "").parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n.fract() == 0.0 && n >= f64::from(lo) && n <= f64::from(hi) => Some(n as u32),
        _ => {
            d.push(invalid(
                v.at,
                format!("`{key}` must be a whole number from {lo} to {hi}"),
                "out of range or not a number",
                format!("write `{key}` as a number literal from {lo} to {hi} (times are UTC)"),
            ));
            None
        }
    }
}

/// The Cloudflare Cron Trigger expression of one schedule.
fn schedule_expression(
    method: &str,
    schedule: &Val,
    usage: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<String> {
    if method == "cron" {
        return match &schedule.kind {
            ValKind::Str(s) => cron_expression(s, schedule.at, d),
            _ => {
                d.push(invalid(
                    schedule.at,
                    "`cron(...)` takes a cron expression string".into(),
                    &format!("{}, not a string", schedule.describe()),
                    format!("write `{usage}`"),
                ));
                None
            }
        };
    }
    let ValKind::Object(entries) = &schedule.kind else {
        d.push(invalid(
            schedule.at,
            format!("the schedule of `{method}(...)` must be an object"),
            &format!("{}, not an object", schedule.describe()),
            format!("write `{usage}`"),
        ));
        return None;
    };
    let allowed: &[&str] = match method {
        "interval" => &["seconds", "minutes", "hours"],
        "hourly" => &["minuteUTC"],
        "daily" => &["hourUTC", "minuteUTC"],
        "weekly" => &["dayOfWeek", "hourUTC", "minuteUTC"],
        _ => &["day", "hourUTC", "minuteUTC"],
    };
    let mut ok = true;
    let mut get: HashMap<&str, &Val> = HashMap::new();
    for e in entries {
        if allowed.contains(&e.key.as_str()) {
            get.insert(allowed.iter().find(|k| **k == e.key)?, &e.value);
        } else {
            d.push(invalid(
                e.key_at,
                format!("`{method}(...)` has no option `{}`", e.key),
                "unknown option",
                did_you_mean(&e.key, "", allowed.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "its options are {}",
                        allowed
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
            ));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    if method == "interval" {
        return interval(schedule.at, &get, d);
    }
    let mut missing = Vec::new();
    for k in allowed {
        if !get.contains_key(k) {
            missing.push(format!("`{k}`"));
        }
    }
    if !missing.is_empty() {
        d.push(invalid(
            schedule.at,
            format!(
                "the schedule of `{method}(...)` lacks {}",
                missing.join(", ")
            ),
            "incomplete schedule",
            format!("write `{usage}`"),
        ));
        return None;
    }
    let minute = number(get["minuteUTC"], "minuteUTC", 0, 59, d);
    let hour = match method {
        "hourly" => Some(None),
        _ => number(get["hourUTC"], "hourUTC", 0, 23, d).map(Some),
    };
    let rest = match method {
        "hourly" | "daily" => Some("* * *".to_string()),
        "weekly" => {
            let v = get["dayOfWeek"];
            match &v.kind {
                ValKind::Str(s) if DAYS.contains(&s.as_str()) => {
                    let i = DAYS.iter().position(|x| x == s)?;
                    Some(format!("* * {}", DAY_NAMES[i]))
                }
                _ => {
                    let shown = match &v.kind {
                        ValKind::Str(s) => format!("`\"{s}\"`"),
                        _ => v.describe().to_string(),
                    };
                    d.push(invalid(
                        v.at,
                        format!("`dayOfWeek` is {shown}, not a day name"),
                        "not a day",
                        match &v.kind {
                            ValKind::Str(s) => did_you_mean(&s.to_lowercase(), "", DAYS),
                            _ => None,
                        }
                        .unwrap_or_else(|| {
                            "write a lowercase English day name: `\"monday\"` ... `\"sunday\"`"
                                .into()
                        }),
                    ));
                    None
                }
            }
        }
        _ => number(get["day"], "day", 1, 31, d).map(|day| format!("{day} * *")),
    };
    let (minute, hour, rest) = (minute?, hour?, rest?);
    Some(match hour {
        None => format!("{minute} * {rest}"),
        Some(h) => format!("{minute} {h} {rest}"),
    })
}

/// `interval({ seconds | minutes | hours })`: wall-clock aligned steps.
fn interval(at: FileSpan, get: &HashMap<&str, &Val>, d: &mut Vec<Diagnostic>) -> Option<String> {
    const HELP: &str = "Cloudflare Cron Triggers fire on wall-clock UTC minutes: use an interval that divides the hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes) or the day (1, 2, 3, 4, 6, 8, 12 or 24 hours), or write the times with `crons.cron(name, \"*/5 * * * *\", ...)`";
    if get.len() != 1 {
        d.push(invalid(
            at,
            "`interval(...)` takes one of `seconds`, `minutes` or `hours`".into(),
            if get.is_empty() {
                "no interval"
            } else {
                "more than one unit"
            },
            "write one unit, e.g. `{ minutes: 5 }` or `{ hours: 2 }`".into(),
        ));
        return None;
    }
    let (&unit, &v) = get.iter().next()?;
    let n = number(v, unit, 1, u32::MAX, d)?;
    let minutes = match unit {
        "seconds" if n % 60 != 0 => {
            d.push(invalid(
                v.at,
                format!("an interval of {n} seconds is not a whole number of minutes"),
                "Cloudflare Cron Triggers run at most once a minute",
                HELP.into(),
            ));
            return None;
        }
        "seconds" => n / 60,
        "minutes" => n,
        _ => n.saturating_mul(60),
    };
    if minutes < 60 && 60 % minutes == 0 {
        return Some(if minutes == 1 {
            "* * * * *".into()
        } else {
            format!("*/{minutes} * * * *")
        });
    }
    if minutes % 60 == 0 && 24 % (minutes / 60) == 0 {
        let hours = minutes / 60;
        return Some(match hours {
            1 => "0 * * * *".into(),
            24 => "0 0 * * *".into(),
            h => format!("0 */{h} * * *"),
        });
    }
    d.push(invalid(
        v.at,
        format!("an interval of {n} {unit} has no Cloudflare Cron Trigger"),
        "it divides neither the hour nor the day",
        HELP.into(),
    ));
    None
}

/// Validates a 5-field cron expression (Unix cron, UTC) and writes it as
/// Cloudflare reads it: the day-of-week field with day names, since
/// Cloudflare numbers days 1-7 from Sunday and Unix cron 0-6.
fn cron_expression(s: &str, at: FileSpan, d: &mut Vec<Diagnostic>) -> Option<String> {
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        d.push(invalid(
            at,
            format!(
                "`{s}` has {} fields: a cron expression has 5",
                fields.len()
            ),
            "not a cron expression",
            "write minute, hour, day of month, month and day of week (UTC), e.g. `\"0 3 * * *\"` for 03:00 every day; seconds and years are not supported".into(),
        ));
        return None;
    }
    const NAMES: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    let mut out = Vec::with_capacity(5);
    for (i, (field, (what, lo, hi))) in fields.iter().zip(NAMES).enumerate() {
        let names: &[&str] = match i {
            3 => &MONTH_NAMES,
            4 => &DAY_NAMES,
            _ => &[],
        };
        let base = if i == 3 { 1 } else { 0 };
        match parse_field(field, lo, hi, names, base) {
            Ok(values) => {
                if i == 4 {
                    out.push(day_field(field, &values));
                } else {
                    out.push(field.to_uppercase());
                }
            }
            Err(why) => {
                d.push(invalid(
                    at,
                    format!("`{s}`: in the {what} field `{field}`, {why}"),
                    "invalid cron expression",
                    format!("the {what} field takes `*`, a number from {lo} to {hi}, a range `a-b`, a step `*/n` or `a-b/n`, or a list of those separated by `,`{}", if names.is_empty() { "" } else { " (names like `MON` or `JAN` too)" }),
                ));
                return None;
            }
        }
    }
    if fields[2] != "*" && fields[4] != "*" {
        d.push(invalid(
            at,
            format!("`{s}` restricts both the day of month and the day of week"),
            "cron implementations disagree on whether one or both must match",
            "restrict one of the two and keep the other `*`, or register two jobs".into(),
        ));
        return None;
    }
    Some(out.join(" "))
}

/// The values a field matches, or why it is invalid. `names[k]` stands for
/// `base + k`.
fn parse_field(
    field: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    base: u32,
) -> Result<Vec<u32>, String> {
    let value = |t: &str| -> Result<u32, String> {
        if let Some(k) = names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
            return Ok(base + k as u32);
        }
        match t.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n),
            Ok(n) => Err(format!("{n} is out of {lo}-{hi}")),
            Err(_) => Err(format!("`{t}` is not a number")),
        }
    };
    let mut all = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => match s.parse::<u32>() {
                Ok(n) if n >= 1 => (r, n),
                _ => return Err(format!("the step `{s}` is not a positive number")),
            },
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(format!("the range `{range}` is empty"));
            }
            (a, b)
        } else {
            let a = value(range)?;
            (a, if step > 1 { hi } else { a })
        };
        all.extend((a..=b).step_by(step as usize));
    }
    Ok(all)
}

/// The day-of-week field in day names (Unix 0 and 7 are Sunday).
fn day_field(field: &str, values: &[u32]) -> String {
    if field == "*" {
        return "*".into();
    }
    let mut days = [false; 7];
    for v in values {
        days[(*v % 7) as usize] = true;
    }
    if days.iter().all(|x| *x) {
        return "*".into();
    }
    let mut names = Vec::new();
    // Monday first, as the week is usually read.
    for i in [1, 2, 3, 4, 5, 6, 0] {
        if days[i] {
            names.push(DAY_NAMES[i]);
        }
    }
    names.join(",")
}

/// Pass 5: each job's function (a mutation or an action of the app) and its
/// args, as `ctx.scheduler.runAfter` checks them.
pub fn check(
    drafts: &[CronDraft],
    functions: &[&Function],
    d: &mut Vec<Diagnostic>,
) -> Option<Crons> {
    let by_ref = scheduler::refs(functions.iter().copied());
    let errors_before = d.iter().filter(|x| x.is_error()).count();
    let mut jobs = Vec::with_capacity(drafts.len());
    for j in drafts {
        let Some(target) = scheduler::schedulable(&j.path, &j.target, j.file, &by_ref, d) else {
            continue;
        };
        scheduler::check_args(&j.path, target, j.args.as_ref(), j.call_span, j.file, d);
        jobs.push(CronJob {
            name: j.name.clone(),
            cron: j.cron.clone(),
            function: target.id(),
            kind: target.kind,
            span: Some(FileSpan::new(j.file, j.call_span)),
        });
    }
    let errors_after = d.iter().filter(|x| x.is_error()).count();
    (errors_after == errors_before).then_some(Crons { jobs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> Result<String, String> {
        let mut d = Vec::new();
        let at = FileSpan::new(FileId(0), Span::EMPTY);
        cron_expression(s, at, &mut d).ok_or_else(|| d[0].message.clone())
    }

    #[test]
    fn cron_expressions_are_validated_and_days_named() {
        assert_eq!(expr("0 3 * * *").unwrap(), "0 3 * * *");
        assert_eq!(
            expr("*/15 * * * 1-5").unwrap(),
            "*/15 * * * MON,TUE,WED,THU,FRI"
        );
        assert_eq!(expr("0 0 * * 0").unwrap(), "0 0 * * SUN");
        assert_eq!(expr("0 0 * * 7").unwrap(), "0 0 * * SUN");
        assert_eq!(expr("0 0 * * mon,fri").unwrap(), "0 0 * * MON,FRI");
        assert_eq!(expr("0 0 1 jan *").unwrap(), "0 0 1 JAN *");
        assert!(expr("60 * * * *").unwrap_err().contains("out of 0-59"));
        assert!(expr("* * * *").unwrap_err().contains("4 fields"));
        assert!(expr("0 0 1 * 1").unwrap_err().contains("both"));
        assert!(expr("0 0 L * *").is_err());
        assert!(expr("5-1 * * * *").unwrap_err().contains("empty"));
    }
}
