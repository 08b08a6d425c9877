using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Evaluation;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Liveness;
using FaceMesh.Pipeline.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh eval liveness --pack P --real DIR --spoof DIR</c>: every photo's primary face (found by the detection
/// pack) scored by the liveness pack, then APCER, BPCER and ACER at the pack's threshold, the EER, and APCER where
/// BPCER is 1 % (ISO/IEC 30107-3). A photo without a face counts against the system: a live one as refused, an attack
/// as accepted. <c>--plot</c> draws the DET curve (APCER against BPCER).
/// </summary>
public sealed class EvalLivenessCommand : Command<EvalLivenessCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--pack <PACK>")]
        [Description("The liveness pack (a name in deploy/models or a folder).")]
        public string Pack { get; init; } = "";

        [CommandOption("--real <DIR>")]
        [Description("Photos of live people (any depth).")]
        public string Real { get; init; } = "";

        [CommandOption("--spoof <DIR>")]
        [Description("Photos of presentation attacks (any depth).")]
        public string Spoof { get; init; } = "";

        [CommandOption("--detector-pack <PACK>")]
        [Description("The pack that finds the faces.")]
        [DefaultValue("default")]
        public string DetectorPack { get; init; } = "default";

        [CommandOption("--threshold <T>")]
        [Description("Decide at this score instead of the pack's threshold.")]
        public float? Threshold { get; init; }

        [CommandOption("--margin <M>")]
        [Description("Crop with this context margin instead of the pack's (0: the face box; 1: twice its side): the shortcut check.")]
        public float? Margin { get; init; }

        [CommandOption("--grey-background")]
        [Description("Set everything outside the face box (plus 10 %) to grey before scoring: the shortcut check.")]
        public bool GreyBackground { get; init; }

        [CommandOption("--subjects <LIST>")]
        [Description("Only these subjects (first folders under --real and --spoof, comma-separated): the ones held out of training.")]
        public string? Subjects { get; init; }

        [CommandOption("--record <SET>")]
        [Description("Write the figures at the pack's threshold into its manifest's 'measured' section, " +
                     "with SET as the set's description.")]
        public string? Record { get; init; }

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }

        [CommandOption("--plot <OUT.png>")]
        [Description("The DET curve: attacks accepted (APCER) against live faces refused (BPCER).")]
        public string? Plot { get; init; }

        [CommandOption("--scores <OUT.tsv>")]
        [Description("Write each photo's score: path, real or spoof, score (empty without a face).")]
        public string? Scores { get; init; }

        [CommandOption("--provider <cpu|cuda>")]
        [DefaultValue(ExecutionProvider.Cpu)]
        public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

        public override ValidationResult Validate() =>
            Pack.Length == 0 ? ValidationResult.Error("--pack (the liveness pack) is required.")
            : Real.Length == 0 || Spoof.Length == 0 ? ValidationResult.Error("--real and --spoof are required.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        foreach (var dir in new[] { settings.Real, settings.Spoof })
            if (!Directory.Exists(dir))
                throw new DirectoryNotFoundException($"The folder '{dir}' does not exist.");
        var inference = InferenceOptions.Default with { Provider = settings.Provider };
        var pack = ModelPack.Load(PackLocator.Resolve(settings.Pack));
        using var liveness = new LivenessModel(pack, inference, message => Console.Error.WriteLine(message))
        {
            ContextMargin = settings.Margin ?? float.NaN,
        };
        using var pipeline = FacePipeline.Open(PackLocator.Resolve(settings.DetectorPack), new PipelineOptions { Inference = inference },
            message => Console.Error.WriteLine(message));
        var subjects = settings.Subjects?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        string[] Photos(string root) => AlignCommand.PhotosUnder(root)
            .Where(p => subjects is null || subjects.Contains(LivenessCropsCommand.SubjectOf(root, p))).ToArray();
        var (real, spoof) = (Photos(settings.Real), Photos(settings.Spoof));
        if (real.Length == 0 || spoof.Length == 0)
            throw new ArgumentException(
                $"No live or no attack photos{(subjects is null ? "" : $" of the subjects {settings.Subjects}")} under " +
                $"'{settings.Real}' and '{settings.Spoof}': each needs at least one.");
        var scores = new Dictionary<string, double?>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double livenessSeconds = 0;
        ConsoleProgress.Run($"scoring {real.Length} live and {spoof.Length} attack photos with {pack.Manifest.Name}",
            real.Length + spoof.Length, tick =>
        {
            foreach (var path in real.Concat(spoof))
            {
                var image = ImageDecoder.Decode(File.ReadAllBytes(path));
                var face = pipeline.FindPrimary(image);
                if (face is not null)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    var scored = settings.GreyBackground ? LivenessModel.GreyOutside(image, face.Box) : image;
                    scores[path] = liveness.Score(scored, [face.Box])[0];
                    livenessSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
                else
                {
                    scores[path] = null;
                }
                tick();
            }
        });
        double threshold = settings.Threshold ?? liveness.Threshold;
        var result = LivenessMetrics.Score(real.Select(p => scores[p]).ToArray(), spoof.Select(p => scores[p]).ToArray(), threshold);
        int scored = scores.Values.Count(s => s is not null);
        double msPerFace = scored == 0 ? 0 : livenessSeconds * 1000 / scored;

        var table = new Table().AddColumns("measure",
            "value").Title($"{Markup.Escape(pack.Manifest.Name)} ({Markup.Escape(liveness.ModelId)})");
        table.AddRow("APCER (attacks accepted)", $"{result.Apcer:P2}");
        table.AddRow("BPCER (live refused)", $"{result.Bpcer:P2}");
        table.AddRow("ACER", $"{result.Acer:P2}");
        table.AddRow("threshold", $"{threshold:G4}");
        table.AddRow("EER", $"{result.Eer:P2}");
        table.AddRow("APCER at BPCER 1 %", $"{result.ApcerAtBpcer1:P2}");
        table.AddRow("photos: live, attack, no face", $"{result.Real}, {result.Spoof}, {result.NoFace}");
        table.AddRow("liveness model, ms per face", $"{msPerFace:F2}");
        AnsiConsole.Write(table);
        if (settings.Json is { } json)
        {
            // The scores under their ISO names (LivenessScores), then what was run.
            var body = JsonSerializer.SerializeToNode(result)!.AsObject();
            body["pack"] = pack.Manifest.Name;
            body["model_id"] = liveness.ModelId;
            body["ms_per_face"] = msPerFace;
            body["context_margin"] = settings.Margin ?? pack.Manifest.Liveness!.ContextMargin;
            body["grey_background"] = settings.GreyBackground;
            body["seconds"] = clock.Elapsed.TotalSeconds;
            File.WriteAllText(json, JsonSerializer.Serialize(body, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        if (settings.Record is { } set)
        {
            if (settings.Threshold is not null || settings.Margin is not null || settings.GreyBackground)
                throw new ArgumentException(
                    "--record writes the figures of the pack as it is: leave out --threshold, --margin and --grey-background.");
            var command = "tools/facemesh " + string.Join(' ', context.Arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
            var recorded = pack.WithLivenessMeasured(new LivenessMeasurement(set, Math.Round(result.Apcer, 4),
                Math.Round(result.Bpcer, 4), Math.Round(result.Acer, 4), Math.Round(result.Eer, 4),
                DateTime.UtcNow.ToString("yyyy-MM-dd"), command));
            Console.WriteLine($"recorded in {recorded.ManifestPath}");
        }
        if (settings.Scores is { } tsv)
            File.WriteAllLines(tsv, real.Select(p => (p, "real")).Concat(spoof.Select(p => (p, "spoof")))
                .Select(x => $"{x.p}\t{x.Item2}\t{scores[x.p]?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? ""}"));
        if (settings.Plot is { } plot)
        {
            // A DET curve from the pair-matching plot: live faces play the genuine pairs, attacks the impostors.
            var curve = new RocCurve(real.Select(p => scores[p] ?? double.NegativeInfinity), spoof.Select(p => scores[p]
                ?? double.PositiveInfinity));
            Plots.Det(plot, [(pack.Manifest.Name, curve)], $"Liveness DET: {pack.Manifest.Name}", "APCER: attacks accepted (log)",
                "BPCER: live faces refused (log)");
        }
        return 0;
    }
}
