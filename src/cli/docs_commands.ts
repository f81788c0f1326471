/**
 * `sregistry completion bash|zsh|fish` and `sregistry man`: print the shell
 * completion script or the man page, generated from the command tree.
 * @module
 */
import { Argument, type Command } from "@commander-js/extra-typings";
import { VERSION } from "../version.ts";
import { commandTree } from "./command_tree.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "./completion.ts";
import { manPage } from "./man_page.ts";
import { print } from "./output.ts";

const SCRIPTS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

/** Adds `completion` and `man`; `root` gives the finished program when they run. */
export function addDocsCommands(program: Command, root: () => Command): void {
  program.command("completion")
    .description("print the shell completion script for bash, zsh or fish")
    .addArgument(
      new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"] as const),
    )
    .action((shell) => print(SCRIPTS[shell](commandTree(root())).replace(/\n$/, "")));
  program.command("man")
    .description("print the man page (roff): sregistry man > sregistry.1; man -l sregistry.1")
    .action(() => print(manPage(commandTree(root()), VERSION).replace(/\n$/, "")));
}
