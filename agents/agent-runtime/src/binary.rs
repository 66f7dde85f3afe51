//! The `main` of every specialist binary, written once:
//! `<name> run [runtime flags] [the specialist's flags]` — telemetry, the
//! context, the component built from the flags, served until SIGTERM.

use clap::{CommandFactory, FromArgMatches};

use crate::cli::AgentArgs;
use crate::component::{AgentContext, Component};

#[derive(clap::Parser)]
struct Cli<F: clap::Args> {
    #[command(subcommand)]
    command: RunCommand<F>,
}

#[derive(clap::Subcommand)]
enum RunCommand<F: clap::Args> {
    /// Run as an agent of the swarm.
    Run {
        #[command(flatten)]
        agent: AgentArgs,
        #[command(flatten)]
        flags: F,
    },
}

/// How a specialist binary presents itself.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// The binary's (and its telemetry service's) name.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// What `run` takes on (its task kinds).
    pub run_about: &'static str,
}

impl Binary {
    fn command<F: clap::Args>(&self) -> clap::Command {
        Cli::<F>::command()
            .name(self.name)
            .about(self.about)
            .version(env!("CARGO_PKG_VERSION"))
            .mut_subcommand("run", |run| run.about(self.run_about))
    }

    /// Parses `args` (the program name first) into the runtime's flags and
    /// the specialist's.
    ///
    /// # Errors
    ///
    /// Unknown or malformed flags (clap's message and exit code).
    pub fn parse_from<F: clap::Args>(
        &self,
        args: impl IntoIterator<Item = String>,
    ) -> Result<(AgentArgs, F), clap::Error> {
        let matches = self.command::<F>().try_get_matches_from(args)?;
        let RunCommand::Run { agent, flags } = Cli::<F>::from_arg_matches(&matches)?.command;
        Ok((agent, flags))
    }

    /// The whole `main`: parses the command line (exits with clap's
    /// message on bad flags), builds the component with `build` and
    /// serves it until SIGTERM or Ctrl-C, draining first.
    ///
    /// # Errors
    ///
    /// Telemetry, the memory, the component or the agent failed to start.
    pub fn main<F: clap::Args>(
        &self,
        build: impl FnOnce(F, &AgentContext) -> anyhow::Result<Component>,
    ) -> anyhow::Result<()> {
        let (agent, flags) = self
            .parse_from::<F>(std::env::args())
            .unwrap_or_else(|error| error.exit());
        tokio::runtime::Runtime::new()?.block_on(async move {
            let telemetry = swarm_common::telemetry::init(self.name, &agent.telemetry)?;
            let component = build(flags, &agent.context().await?)?;
            agent.serve(component, telemetry).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Args, Debug)]
    struct Flags {
        /// A specialist's own flag.
        #[arg(long, default_value_t = 2.0)]
        host_rate: f64,
    }

    const BINARY: Binary = Binary {
        name: "test-agent",
        about: "a test",
        run_about: "Run as an agent of the swarm (test tasks).",
    };

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn runtime_and_specialist_flags_are_parsed_together() {
        let (agent, flags) = BINARY
            .parse_from::<Flags>(args("test-agent run --queen http://q:1 --host-rate 5"))
            .unwrap();
        assert_eq!(agent.queen, "http://q:1");
        assert!((flags.host_rate - 5.0).abs() < f64::EPSILON);
    }

    #[test]
    fn unknown_flags_and_a_missing_run_are_errors() {
        assert!(
            BINARY
                .parse_from::<Flags>(args("test-agent run --no-such-flag"))
                .is_err()
        );
        assert!(BINARY.parse_from::<Flags>(args("test-agent")).is_err());
        let help = BINARY.command::<Flags>().render_long_help().to_string();
        assert!(help.contains("a test"), "{help}");
    }
}
