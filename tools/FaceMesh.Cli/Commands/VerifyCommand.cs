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

        [CommandOption("--server <URL>")]
        [Description("Ask a running fleet (its Gateway's gRPC address) instead of running the models here.")]
        public string? Server { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Server is not null)
            return VerifyRemotely(settings);
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

    private static int VerifyRemotely(Settings settings)
    {
        var (client, channel) = FaceMesh.Client.FaceMeshClientFactory.Create(new FaceMesh.Client.FaceMeshClientOptions { Address = new Uri(settings.Server!) });
        using var _ = channel;
        var r = client.Verify(new Contracts.V1.VerifyRequest { Probe = ServerSettings.Photo(settings.First), ReferenceImage = ServerSettings.Photo(settings.Second) });
        if (r.ProbeFace is null || r.ReferenceFace is null)
        {
            AnsiConsole.MarkupLine("[red]No face found in one of the photos[/]: nothing to compare.");
            return 2;
        }
        AnsiConsole.MarkupLine($"model [bold]{Markup.Escape(r.ModelId)}[/] (fleet at {Markup.Escape(settings.Server!)})");
        AnsiConsole.MarkupLine($"score (cosine similarity): [bold]{r.Score:F4}[/]; at FAR {r.Far} (threshold {r.Threshold:F4}): " +
                               (r.Match ? "[green]same person[/]" : "[red]different people[/]"));
        return 0;
    }

    private static Face? Primary(FacePipeline pipeline, string path) =>
        pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(path)));
}
