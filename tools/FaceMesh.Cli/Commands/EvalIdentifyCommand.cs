using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh eval identify --root DIR</c>: the open-set 1:N protocol on a folder-per-identity set:
/// each subject's first photo enrolled, the others probes; the last <c>--left-out</c> subjects (in name
/// order) stay out of the gallery and probe as strangers. Rank-1, rank-5, FNIR at FPIR 1e-1 and 1e-2.
/// </summary>
public sealed class EvalIdentifyCommand : Command<EvalIdentifyCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--root <DIR>")]
        public string Root { get; init; } = "";

        [CommandOption("--left-out <N>")]
        [Description("Subjects kept out of the gallery as strangers.")]
        [DefaultValue(30)]
        public int LeftOut { get; init; } = 30;

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }

        public override ValidationResult Validate() =>
            Root.Length == 0 ? ValidationResult.Error("--root is required.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var subjects = Directory.GetDirectories(settings.Root).Order(StringComparer.Ordinal)
            .Select(d => Directory.GetFiles(d).Where(p => AlignCommand.PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray())
            .ToArray();
        var photos = subjects.SelectMany(p => p).ToArray();
        using var pipeline = settings.OpenPipeline();
        PhotoEmbeddings embeddings = null!;
        ConsoleProgress.Run($"embedding {photos.Length} photos", photos.Length,
            tick => embeddings = PhotoEmbeddings.Compute(pipeline, photos, tick, settings.Workers));
        var report = IdentificationProtocol.Run(subjects.Select(p => (IReadOnlyList<float[]?>)p.Select(f => embeddings[f]).ToArray()).ToArray(), settings.LeftOut);

        var table = new Table().AddColumns("measure", "value");
        table.AddRow("gallery subjects (one photo each)", $"{report.GallerySubjects}");
        table.AddRow("mated / non-mated probes", $"{report.MatedProbes} / {report.NonMatedProbes}");
        table.AddRow("rank-1", $"{report.Rank1 * 100:F2} %");
        table.AddRow("rank-5", $"{report.Rank5 * 100:F2} %");
        foreach (var (fpir, fnir) in report.FnirAtFpir)
            table.AddRow($"FNIR @ FPIR {fpir}", $"{fnir * 100:F2} % (threshold {report.ThresholdAtFpir[fpir]:F4})");
        table.AddRow("photos without a face", $"{report.FailedImages}");
        AnsiConsole.Write(table);
        if (settings.Json is not null)
            File.WriteAllText(settings.Json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return 0;
    }
}
