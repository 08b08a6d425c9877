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

        [CommandOption("--choose-weights")]
        [Description("A fused pack: first choose its models' weights (grid on the simplex, best TAR at FAR 1e-3 over all pairs of the set), then calibrate the fused embedding.")]
        public bool ChooseWeights { get; init; }

        [CommandOption("--weight-step <STEP>")]
        [Description("Grid step of --choose-weights.")]
        [DefaultValue(0.05f)]
        public float WeightStep { get; init; } = 0.05f;

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
        string set = $"{Path.GetFileName(Path.GetFullPath(settings.Root))}: {photos.Length - embeddings.Failures.Count} photos of {photosByIdentity.Length} identities, all cross-identity pairs";
        float[]? weights = null;
        if (settings.ChooseWeights)
        {
            var models = pipeline.Embedder.Models;
            if (models.Count < 2)
                throw new InvalidOperationException($"--choose-weights needs a pack with several embedders; '{pipeline.Pack.Manifest.Name}' has one.");
            var perModel = photosByIdentity
                .Select(group => (IReadOnlyList<float[][]>)group.Select(p => embeddings.PerModel.GetValueOrDefault(p)).OfType<float[][]>().ToArray()).ToArray();
            IReadOnlyList<FusionWeights.Candidate> ranked = null!;
            int grid = FusionWeights.Simplex(models.Count, settings.WeightStep).Count();
            ConsoleProgress.Run($"scoring {grid} weightings", grid, tick => ranked = FusionWeights.Search(perModel, 1e-3, settings.WeightStep, _ => tick()));
            var best = new Table().AddColumns([.. models.Select(m => m.ModelId), "TAR @ FAR 1e-3"]);
            foreach (var c in ranked.Take(5))
                best.AddRow([.. c.Weights.Select(w => w.ToString("F2")), $"{c.Tar * 100:F2} %"]);
            AnsiConsole.Write(best);
            weights = ranked[0].Weights;
            embeddings = embeddings.Reweighted(weights);
        }
        var identities = photosByIdentity
            .Select(group => (IReadOnlyList<float[]>)group.Select(p => embeddings[p]).OfType<float[]>().ToArray()).ToArray();
        var result = ThresholdCalibration.Calibrate(identities,
            $"{set}; pipeline: flip {pipeline.Flip}, anti-aliased alignment {pipeline.Options.AntiAliasedAlignment}");

        var table = new Table().AddColumns("FAR", "threshold", "TAR (all genuine pairs)");
        foreach (var (far, threshold) in result.Table.Far.OrderByDescending(kv => double.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture)))
            table.AddRow(far, $"{threshold:F4}", $"{result.Roc.Tar(threshold) * 100:F2} %");
        AnsiConsole.MarkupLine($"{result.Table.GenuinePairs:N0} genuine and {result.Table.ImpostorPairs:N0} impostor pairs; {embeddings.Failures.Count} photos without a face");
        AnsiConsole.Write(table);
        if (!settings.DryRun)
        {
            var pack = ModelPack.Load(pipeline.Pack.Directory, verifyFiles: false);
            if (weights is not null)
                pack = pack.WithFusionWeights(weights, $"{set}; the best TAR at FAR 1e-3 of a {settings.WeightStep:F2} grid (in-sample on this set)");
            pack = pack.WithThresholds(result.Table);
            AnsiConsole.MarkupLine($"thresholds written to {Markup.Escape(pack.ManifestPath)}");
        }
        return 0;
    }
}
