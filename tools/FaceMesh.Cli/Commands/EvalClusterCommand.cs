using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceMesh.Evaluation;
using FaceMesh.Matching.Clustering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh eval cluster --root DIR</c>: every photo's primary face grouped into people with the labels hidden
/// (the folder names are the truth), scored by pairwise and BCubed precision, recall and F against the truth, for
/// the chosen method and for the density rule photo libraries use (the baseline) on the same embeddings and
/// threshold. <c>--sheets</c> draws each group as a contact sheet.
/// </summary>
public sealed class EvalClusterCommand : Command<EvalClusterCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--root <DIR>")]
        [Description("Folder with one folder of photos per person (the folder names are the labels, hidden from the clustering).")]
        public string Root { get; init; } = "";

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }

        [CommandOption("--sheets <OUT_DIR>")]
        [Description("Write a contact sheet (PNG) per group of two or more faces, largest first, and one of the faces left alone.")]
        public string? Sheets { get; init; }

        [CommandOption("--method <METHOD>")]
        [Description("average-linkage (the default), rank-order, mutual-knn, chinese-whispers or density-rule.")]
        [DefaultValue("average-linkage")]
        public string Method { get; init; } = "average-linkage";

        [CommandOption("--far <FAR>")]
        [Description("The edge threshold is the pack's calibrated threshold at this false-accept rate.")]
        [DefaultValue("0.001")]
        public string Far { get; init; } = "0.001";

        [CommandOption("--linkage-far <FAR>")]
        [Description("Average linkage: groups merge while their mean cosine reaches the pack's threshold at this "
                     + "false-accept rate (default: --far).")]
        public string? LinkageFar { get; init; }

        [CommandOption("--neighbours <N>")]
        [Description("Neighbours per face in the kNN graph.")]
        [DefaultValue(20)]
        public int K { get; init; } = 20;

        [CommandOption("--rank-threshold <D>")]
        [Description("Rank-order: the largest normalised rank-order distance of a link.")]
        [DefaultValue(1.5f)]
        public float RankThreshold { get; init; } = 1.5f;

        [CommandOption("--min-quality <Q>")]
        [Description("Faces below this overall quality wait: they join a group but never start or link one.")]
        [DefaultValue(0.5f)]
        public float MinQuality { get; init; } = 0.5f;

        [CommandOption("--cache <FILE>")]
        [Description("Keep the photos' embeddings in this file and reuse them while the photos and settings are the same.")]
        public string? Cache { get; init; }

        public override ValidationResult Validate() =>
            Root.Length == 0 ? ValidationResult.Error("--root is required.")
            : K < 1 ? ValidationResult.Error("--neighbours must be at least 1.")
            : ValidationResult.Success();

        public ClusteringMethod ParsedMethod => Method.Replace("-", "").ToLowerInvariant() switch
        {
            "rankorder" => ClusteringMethod.RankOrder,
            "mutualknn" => ClusteringMethod.MutualKnn,
            "chinesewhispers" => ClusteringMethod.ChineseWhispers,
            "averagelinkage" => ClusteringMethod.AverageLinkage,
            "densityrule" or "immich" => ClusteringMethod.DensityRule,
            _ => throw new ArgumentException(
                $"--method {Method}: use average-linkage, rank-order, mutual-knn, chinese-whispers or density-rule."),
        };
    }

    /// <summary>The chosen method's scores with its settings, the baseline's, and every method's.</summary>
    [method: SetsRequiredMembers]
    public sealed record Report(ClusteringScores Scores) : ClusteringScores(Scores)
    {
        [JsonIgnore] public ClusteringScores Scores { get; } = Scores;
        [JsonPropertyName("method")] public string Method { get; init; } = "";
        [JsonPropertyName("far")] public string Far { get; init; } = "";
        [JsonPropertyName("threshold")] public float Threshold { get; init; }
        [JsonPropertyName("linkage_far")] public string LinkageFar { get; init; } = "";
        [JsonPropertyName("linkage_threshold")] public float LinkageThreshold { get; init; }
        [JsonPropertyName("k")] public int K { get; init; }
        [JsonPropertyName("min_quality")] public float MinQuality { get; init; }
        [JsonPropertyName("no_face")] public int NoFace { get; init; }
        [JsonPropertyName("seconds")] public double Seconds { get; init; }

        /// <summary>The density rule (Immich's) on the same embeddings, threshold and quality gate.</summary>
        [JsonPropertyName("baseline")] public ClusteringScores Baseline { get; init; } = Scores;

        /// <summary>The chosen settings with the faces grouped as they arrive (<see cref="IncrementalClustering"/>, in a
        /// shuffled order, 64 at a time), before any re-clustering.</summary>
        [JsonPropertyName("incremental")] public ClusteringScores Incremental { get; init; } = Scores;

        /// <summary>Every method at the same settings, by name.</summary>
        [JsonPropertyName("methods")] public SortedDictionary<string, ClusteringScores> Methods { get; init; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var identities = Directory.GetDirectories(settings.Root).Order(StringComparer.Ordinal).ToArray();
        if (identities.Length == 0)
            throw new DirectoryNotFoundException($"{settings.Root} has no folders: eval cluster expects one folder of photos per person.");
        var photos = identities
            .SelectMany((dir, label) => Directory.GetFiles(dir)
                .Where(p => AlignCommand.PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).Select(p => (Path: p, Label: label)))
            .ToArray();
        using var pipeline = settings.OpenPipeline();
        var paths = photos.Select(p => p.Path).ToArray();
        string key = $"{pipeline.Pack.Directory}|{JsonSerializer.Serialize(settings.ToOptions())}";
        var embeddings = PhotoEmbeddings.ComputeCached(settings.Cache, key, paths, () =>
        {
            PhotoEmbeddings computed = null!;
            ConsoleProgress.Run($"embedding {paths.Length} photos", paths.Length,
                tick => computed = PhotoEmbeddings.Compute(pipeline, paths, tick, settings.Workers));
            return computed;
        });

        var faces = photos.Where(p => embeddings[p.Path] is not null).ToArray();
        var vectors = faces.Select(p => embeddings[p.Path]!).ToArray();
        var quality = faces.Select(p => embeddings.Faces[p.Path].Quality).ToArray();
        var truth = faces.Select(p => p.Label).ToArray();

        var options = new ClusteringOptions
        {
            Method = settings.ParsedMethod,
            K = settings.K,
            RankOrderThreshold = settings.RankThreshold,
            MinQuality = settings.MinQuality,
        }.AtFar(pipeline.Pack.Manifest.Thresholds.Far, settings.Far, settings.LinkageFar);

        var clock = Stopwatch.StartNew();
        var graph = KnnGraph.Build(vectors, options.K);
        var labels = FaceClustering.Cluster(graph, options, quality);
        double seconds = clock.Elapsed.TotalSeconds;
        var scores = ClusteringMetrics.Score(labels, truth);

        var methods = new SortedDictionary<string, ClusteringScores>(StringComparer.Ordinal) { [Name(options.Method)] = scores };
        foreach (var method in Enum.GetValues<ClusteringMethod>().Where(m => m != options.Method))
            methods[Name(method)] = ClusteringMetrics.Score(
                FaceClustering.Cluster(graph, options with { Method = method }, quality), truth);
        var incremental = Incrementally(vectors, quality, truth, options);
        var baseline = methods[Name(ClusteringMethod.DensityRule)];

        var table = new Table().AddColumns("method", "pair P", "pair R", "pair F", "B³ P", "B³ R", "B³ F", "groups", "alone", "waiting");
        foreach (var (name, s) in methods.Append(new("average-linkage, as faces arrive", incremental)))
            table.AddRow(name == Name(options.Method) ? $"[bold]{name}[/]" : name,
                $"{s.PairwisePrecision:F3}", $"{s.PairwiseRecall:F3}", $"{s.PairwiseF:F3}",
                $"{s.BCubedPrecision:F3}", $"{s.BCubedRecall:F3}", $"{s.BCubedF:F3}",
                $"{s.Clusters}", $"{s.Singletons}", $"{s.Unassigned}");
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160); // a log keeps the table's rows whole
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{faces.Length} faces of {identities.Length} people ({photos.Length - faces.Length} photos without a face); "
            + $"threshold {options.EdgeThreshold:F4} (FAR {options.Far}), "
            + $"linkage {options.LinkageThreshold:F4} (FAR {options.LinkageFar}), "
            + $"k {options.K}; {Name(options.Method)} took {seconds:F2} s; baseline: {Name(ClusteringMethod.DensityRule)}"));

        if (settings.Json is not null)
        {
            var report = new Report(scores)
            {
                Method = Name(options.Method), Far = options.Far!, Threshold = options.EdgeThreshold, K = options.K,
                LinkageFar = options.LinkageFar!, LinkageThreshold = options.LinkageThreshold, MinQuality = options.MinQuality,
                NoFace = photos.Length - faces.Length, Seconds = seconds, Baseline = baseline, Methods = methods, Incremental = incremental,
            };
            File.WriteAllText(settings.Json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        if (settings.Sheets is not null)
        {
            var drawn = faces.Select(f => (f.Path, embeddings.Faces[f.Path].Box, Path.GetFileName(identities[f.Label]))).ToArray();
            ContactSheets.Write(settings.Sheets, drawn, labels);
        }
        return 0;
    }

    /// <summary>The faces grouped as they arrive, in a fixed shuffled order, 64 at a time.</summary>
    private static ClusteringScores Incrementally(float[][] vectors, float[] quality, int[] truth, ClusteringOptions options)
    {
        var order = Enumerable.Range(0, vectors.Length).ToArray();
        new Random(1).Shuffle(order);
        var clustering = new IncrementalClustering(vectors[0].Length, options);
        foreach (var chunk in order.Chunk(KnnGraph.QueryBatch))
            clustering.Add(chunk.Select(i => vectors[i]).ToArray(), chunk.Select(i => quality[i]).ToArray());
        return ClusteringMetrics.Score(clustering.Groups, order.Select(i => truth[i]).ToArray());
    }

    public static string Name(ClusteringMethod method) => method switch
    {
        ClusteringMethod.RankOrder => "rank-order",
        ClusteringMethod.MutualKnn => "mutual-knn",
        ClusteringMethod.ChineseWhispers => "chinese-whispers",
        ClusteringMethod.AverageLinkage => "average-linkage",
        _ => "density-rule",
    };
}
