using System.ComponentModel;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Embedding;
using FaceMesh.Pipeline.Verification;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh verify A B</c>: are the primary faces of two photos the same person?</summary>
public sealed class VerifyCommand : Command<VerifyCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandArgument(0, "<A>")]
        [Description("First photo.")]
        public string First { get; init; } = "";

        [CommandArgument(1, "<B>")]
        [Description("Second photo.")]
        public string Second { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var pipeline = settings.OpenPipeline();
        var a = Primary(pipeline, settings.First);
        var b = Primary(pipeline, settings.Second);
        if (a is null || b is null)
        {
            AnsiConsole.MarkupLine($"[red]No face found in {Markup.Escape(a is null ? settings.First : settings.Second)}[/]: nothing to compare. Use a photo where the face is visible.");
            return 2;
        }
        var embeddings = pipeline.Embed([a, b]);
        float score = CosineSimilarity.Of(embeddings[0], embeddings[1]);
        AnsiConsole.MarkupLine($"model [bold]{pipeline.ModelId}[/]; faces {Markup.Escape(a.Box.ToString())} and {Markup.Escape(b.Box.ToString())}");
        AnsiConsole.MarkupLine($"score (cosine similarity): [bold]{score:F4}[/]");
        if (!pipeline.Thresholds.IsCalibrated)
        {
            AnsiConsole.MarkupLine("[yellow]This pack has no calibrated thresholds: run 'tools/facemesh calibrate' to make decisions.[/]");
            return 0;
        }
        var table = new Table().AddColumns("FAR", "threshold", "decision");
        foreach (var d in pipeline.Thresholds.Decide(score))
            table.AddRow(VerificationThresholds.Key(d.Far), $"{d.Threshold:F4}",
                         d.Match ? "[green]same person[/]" : "[red]different people[/]");
        AnsiConsole.Write(table);
        return 0;
    }

    private static Face? Primary(FacePipeline pipeline, string path) =>
        pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(path)));
}
