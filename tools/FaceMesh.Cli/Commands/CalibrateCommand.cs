using System.ComponentModel;
using FaceMesh.Evaluation;
using FaceMesh.ModelPacks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh calibrate --root DIR</c>: the cosine thresholds for FAR 1e-2 … 1e-5 from every impostor
/// pair of a folder-per-identity set, written into the pack's manifest. With <c>--pairs</c>, only the
/// identities named in that file are used.
/// </summary>
public sealed class CalibrateCommand : Command<CalibrateCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--root <DIR>")]
        [Description("Folder-per-identity photos (LFW layout).")]
        public string Root { get; init; } = "";

        [CommandOption("--pairs <FILE>")]
        [Description("Optional LFW pairs file: calibrate on the identities it names.")]
        public string? Pairs { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print the thresholds without writing them into the manifest.")]
        public bool DryRun { get; init; }

        public override ValidationResult Validate() =>
            Root.Length == 0 ? ValidationResult.Error("--root is required.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var names = settings.Pairs is null
            ? Directory.GetDirectories(settings.Root).Select(Path.GetFileName).ToHashSet()!
            : LfwPairs.Read(settings.Pairs, settings.Root).SelectMany(p => new[] { p.First, p.Second })
                .Select(p => Path.GetFileName(Path.GetDirectoryName(p))).ToHashSet();
        var photosByIdentity = names.Order(StringComparer.Ordinal)
            .Select(n => Directory.GetFiles(Path.Combine(settings.Root, n!))
                .Where(p => AlignCommand.PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray())
            .ToArray();
        var photos = photosByIdentity.SelectMany(p => p).ToArray();

        using var pipeline = settings.OpenPipeline();
        PhotoEmbeddings embeddings = null!;
        ConsoleProgress.Run($"embedding {photos.Length} photos", photos.Length,
            tick => embeddings = PhotoEmbeddings.Compute(pipeline, photos, tick, settings.Workers));
        var identities = photosByIdentity
            .Select(group => (IReadOnlyList<float[]>)group.Select(p => embeddings[p]).OfType<float[]>().ToArray()).ToArray();
        var result = ThresholdCalibration.Calibrate(identities,
            $"{Path.GetFileName(Path.GetFullPath(settings.Root))}: {photos.Length - embeddings.Failures.Count} photos of {identities.Length} identities, all cross-identity pairs; " +
            $"pipeline: flip {pipeline.Options.FlipAugmentation}, anti-aliased alignment {pipeline.Options.AntiAliasedAlignment}");

        var table = new Table().AddColumns("FAR", "threshold", "TAR (all genuine pairs)");
        foreach (var (far, threshold) in result.Table.Far.OrderByDescending(kv => double.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture)))
            table.AddRow(far, $"{threshold:F4}", $"{result.Roc.Tar(threshold) * 100:F2} %");
        AnsiConsole.MarkupLine($"{result.Table.GenuinePairs:N0} genuine and {result.Table.ImpostorPairs:N0} impostor pairs; {embeddings.Failures.Count} photos without a face");
        AnsiConsole.Write(table);
        if (!settings.DryRun)
        {
            var pack = ModelPack.Load(pipeline.Pack.Directory, verifyFiles: false).WithThresholds(result.Table);
            AnsiConsole.MarkupLine($"thresholds written to {Markup.Escape(pack.ManifestPath)}");
        }
        return 0;
    }
}
