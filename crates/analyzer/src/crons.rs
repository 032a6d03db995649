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
use crate::diagnostics;
use crate::eval::{Entry, Eval, Mode, Val, ValKind};
use crate::ir::{CronJob, Crons, Function, Module};
use crate::load::Loader;
use crate::scheduler;

/// The module whose default export is the `cronJobs()` object.
pub const CRONS_MODULE: &str = "crons";
pub const CRONS_FILE: &str = "lunora/crons.ts";

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

/// The evaluator reports `crons/not-static` in `crons.ts`.
const MODE: Mode = Mode {
    code: Code::CronsNotStatic,
    help: diagnostics::CRONS_NOT_STATIC_HELP,
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
            d.push(diagnostics::crons_default_not_a_name(file, span));
            return None;
        }
        Err(NotBuilder::NoDefault) => {
            d.push(diagnostics::crons_no_default_export(file, &module.file));
            return None;
        }
        Err(NotBuilder::NotBound(crons, crons_use)) => {
            d.push(diagnostics::crons_default_not_cron_jobs(
                &crons, file, crons_use,
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
                d.push(diagnostics::crons_top_level_other(what, &crons, file, span));
                continue;
            }
        };
        if !METHODS.contains(&method) {
            d.push(diagnostics::crons_unknown_method(
                &crons, method, &METHODS, file, e.span,
            ));
            continue;
        }
        let Some(job) = read_job(ld, ev, file, method, e.span, args, d) else {
            continue;
        };
        if let Some(&first) = seen.get(&job.name) {
            d.push(diagnostics::crons_duplicate_name(
                &job.name,
                file,
                job.call_span,
                first,
            ));
            continue;
        }
        seen.insert(job.name.clone(), job.call_span);
        jobs.push(job);
    }
    let errors_after = d.iter().filter(|x| x.is_error()).count();
    (errors_after == errors_before).then_some(jobs)
}

fn not_static_statement(file: FileId, span: Span, crons: &str, d: &mut Vec<Diagnostic>) {
    d.push(diagnostics::crons_statement_not_job(crons, file, span));
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
    if args.len() < 3 || args.len() > 4 {
        d.push(diagnostics::crons_job_arity(method, file, call_span));
        return None;
    }
    let name = match ev.eval(ld, file, &args[0], MODE, d)? {
        Val {
            kind: ValKind::Str(s),
            ..
        } => s,
        v => {
            d.push(diagnostics::crons_name_not_string(
                v.describe(),
                file,
                args[0].span,
            ));
            return None;
        }
    };
    let schedule = ev.eval(ld, file, &args[1], MODE, d)?;
    let cron = schedule_expression(method, &schedule, d)?;
    let target = &args[2];
    let Some(path) = scheduler::ref_path(target) else {
        d.push(diagnostics::crons_target_not_reference(
            &name,
            file,
            target.span,
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

/// A whole number option of a schedule object, in `lo..=hi`.
fn number(v: &Val, key: &str, lo: u32, hi: u32, d: &mut Vec<Diagnostic>) -> Option<u32> {
    let n = match &v.kind {
        ValKind::Num(raw) => raw.replace('_', "").parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n.fract() == 0.0 && n >= f64::from(lo) && n <= f64::from(hi) => Some(n as u32),
        _ => {
            d.push(diagnostics::schedule_number(key, lo, hi, v.at));
            None
        }
    }
}

/// The Cloudflare Cron Trigger expression of one schedule.
fn schedule_expression(method: &str, schedule: &Val, d: &mut Vec<Diagnostic>) -> Option<String> {
    if method == "cron" {
        return match &schedule.kind {
            ValKind::Str(s) => cron_expression(s, schedule.at, d),
            _ => {
                d.push(diagnostics::cron_not_string(
                    schedule.describe(),
                    schedule.at,
                ));
                None
            }
        };
    }
    let ValKind::Object(entries) = &schedule.kind else {
        d.push(diagnostics::schedule_not_object(
            method,
            schedule.describe(),
            schedule.at,
        ));
        return None;
    };
    let allowed = schedule_keys(method);
    let get = schedule_options(method, entries, allowed, d)?;
    if method == "interval" {
        return interval(schedule.at, &get, d);
    }
    calendar_expression(method, schedule.at, allowed, &get, d)
}

/// The options a schedule method's object takes.
fn schedule_keys(method: &str) -> &'static [&'static str] {
    match method {
        "interval" => &["seconds", "minutes", "hours"],
        "hourly" => &["minuteUTC"],
        "daily" => &["hourUTC", "minuteUTC"],
        "weekly" => &["dayOfWeek", "hourUTC", "minuteUTC"],
        _ => &["day", "hourUTC", "minuteUTC"],
    }
}

/// A schedule object's options by name (the last of each when repeated).
/// `None` when one is no option of `method` (each reported).
fn schedule_options<'v>(
    method: &str,
    entries: &'v [Entry],
    allowed: &'static [&'static str],
    d: &mut Vec<Diagnostic>,
) -> Option<HashMap<&'static str, &'v Val>> {
    let mut ok = true;
    let mut get: HashMap<&str, &Val> = HashMap::new();
    for e in entries {
        if allowed.contains(&e.key.as_str()) {
            get.insert(allowed.iter().find(|k| **k == e.key)?, &e.value);
        } else {
            d.push(diagnostics::schedule_unknown_option(
                method, &e.key, allowed, e.key_at,
            ));
            ok = false;
        }
    }
    ok.then_some(get)
}

/// `hourly`, `daily`, `weekly` or `monthly` (`method`) with every one of its
/// options (`allowed`) given: the expression of that minute, hour and day.
fn calendar_expression(
    method: &str,
    at: FileSpan,
    allowed: &[&str],
    get: &HashMap<&str, &Val>,
    d: &mut Vec<Diagnostic>,
) -> Option<String> {
    let mut missing = Vec::new();
    for k in allowed {
        if !get.contains_key(k) {
            missing.push(*k);
        }
    }
    if !missing.is_empty() {
        d.push(diagnostics::schedule_incomplete(method, &missing, at));
        return None;
    }
    let minute = number(get["minuteUTC"], "minuteUTC", 0, 59, d);
    let hour = match method {
        "hourly" => Some(None),
        _ => number(get["hourUTC"], "hourUTC", 0, 23, d).map(Some),
    };
    let rest = match method {
        "hourly" | "daily" => Some("* * *".to_string()),
        "weekly" => weekday(get["dayOfWeek"], d).map(|day| format!("* * {day}")),
        _ => number(get["day"], "day", 1, 31, d).map(|day| format!("{day} * *")),
    };
    let (minute, hour, rest) = (minute?, hour?, rest?);
    Some(match hour {
        None => format!("{minute} * {rest}"),
        Some(h) => format!("{minute} {h} {rest}"),
    })
}

/// `weekly`'s `dayOfWeek`: a day's name, as the cron expression's (`MON`).
/// `None` when reported.
fn weekday(v: &Val, d: &mut Vec<Diagnostic>) -> Option<&'static str> {
    match &v.kind {
        ValKind::Str(s) if DAYS.contains(&s.as_str()) => {
            let i = DAYS.iter().position(|x| x == s)?;
            Some(DAY_NAMES[i])
        }
        _ => {
            let value = match &v.kind {
                ValKind::Str(s) => Some(s.as_str()),
                _ => None,
            };
            d.push(diagnostics::schedule_not_a_day(
                value,
                v.describe(),
                &DAYS,
                v.at,
            ));
            None
        }
    }
}

/// `interval({ seconds | minutes | hours })`: wall-clock aligned steps.
fn interval(at: FileSpan, get: &HashMap<&str, &Val>, d: &mut Vec<Diagnostic>) -> Option<String> {
    if get.len() != 1 {
        d.push(diagnostics::interval_units(get.is_empty(), at));
        return None;
    }
    let (&unit, &v) = get.iter().next()?;
    let n = number(v, unit, 1, u32::MAX, d)?;
    let minutes = match unit {
        "seconds" if n % 60 != 0 => {
            d.push(diagnostics::interval_not_minutes(n, v.at));
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
    d.push(diagnostics::interval_unsupported(n, unit, v.at));
    None
}

/// Validates a 5-field cron expression (Unix cron, UTC) and writes it as
/// Cloudflare reads it: the day-of-week field with day names, since
/// Cloudflare numbers days 1-7 from Sunday and Unix cron 0-6.
fn cron_expression(s: &str, at: FileSpan, d: &mut Vec<Diagnostic>) -> Option<String> {
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        d.push(diagnostics::cron_field_count(s, fields.len(), at));
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
                d.push(diagnostics::cron_field_invalid(
                    s,
                    what,
                    field,
                    &why,
                    lo,
                    hi,
                    !names.is_empty(),
                    at,
                ));
                return None;
            }
        }
    }
    if fields[2] != "*" && fields[4] != "*" {
        d.push(diagnostics::cron_both_days(s, at));
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
