//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "lunora",
    version,
    about = "The Lunora toolchain: codegen, migrations, dev loop and deploy"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// App root (the folder that holds `lunora/`); default: nearest such folder upwards
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    /// Diagnostics format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate lunora/_generated/ from the schema and functions
    Codegen(CodegenArgs),
    /// D1 migrations for global tables
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Scaffold a new app
    Init(InitArgs),
    /// Codegen watch + local migrations + wrangler dev + vite
    Dev(DevArgs),
    /// Codegen, drift check, validate wrangler.jsonc, apply D1 migrations, wrangler deploy
    Deploy(DeployArgs),
    /// Language server over stdio
    Lsp(LspArgs),
    /// Internal (`lunora dev`): stops process groups when `lunora dev` dies
    #[command(name = "__reap", hide = true)]
    Reap(ReapArgs),
}

/// The process groups the reaper of `lunora dev` watches over.
#[derive(Debug, Clone, Args)]
pub struct ReapArgs {
    pub groups: Vec<i32>,
}

#[derive(Debug, Clone, Args)]
pub struct CodegenArgs {
    /// Exit 1 and list stale files instead of writing
    #[arg(long)]
    pub check: bool,
    /// Regenerate on every change
    #[arg(long, conflicts_with = "check")]
    pub watch: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Diff global tables against the latest snapshot and write a migration
    Generate(MigrateGenerateArgs),
    /// CI drift gate: exit 1 when migrations and schema disagree
    Check,
    /// Apply pending migrations to D1
    Apply(MigrateApplyArgs),
    /// Show applied and pending migrations
    Status(MigrateTargetArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateGenerateArgs {
    /// Migration name (slugified into the file name)
    pub name: String,
    /// `table.old=new` renames a column, `old=new` a table
    #[arg(long = "rename", value_name = "FROM=TO")]
    pub renames: Vec<String>,
    /// Allow steps that drop data
    #[arg(long)]
    pub allow_data_loss: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateTargetArgs {
    /// Local D1 (wrangler's local state); the default
    #[arg(long, conflicts_with = "remote")]
    pub local: bool,
    /// The remote D1 database
    #[arg(long)]
    pub remote: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateApplyArgs {
    #[command(flatten)]
    pub target: MigrateTargetArgs,
    /// Do not take the lock file that serializes runs on one machine (tests
    /// of the tracking row's PRIMARY KEY between concurrent runs; hidden)
    #[arg(long, hide = true)]
    pub no_lock: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Folder to create
    pub dir: PathBuf,
    /// Use the tarballs `npm/pack.sh` made in this folder instead of the registry
    #[arg(long)]
    pub packages: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DevArgs {}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Do everything that needs no Cloudflare account, and say what would be applied
    #[arg(long)]
    pub dry_run: bool,
    /// Add the Cron Trigger expressions `lunora/crons.ts` needs to `triggers.crons` in
    /// `wrangler.jsonc` (the rest of the file, comments included, is kept)
    #[arg(long)]
    pub write_crons: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LspArgs {}
