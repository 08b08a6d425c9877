using System.Collections.Concurrent;
using System.ComponentModel;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Liveness;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh liveness-crops --real DIR --spoof DIR --out OUT_DIR [--margin M] [--size N]</c>: the liveness trainer's
/// data. Each photo's primary face is cropped as a liveness pack crops it (<see cref="LivenessModel.Crop(RgbImage,
/// FaceMesh.Pipeline.Detection.FaceBox, float, int)"/>: the box squared, widened by the context margin) and written to
/// <c>OUT_DIR/live</c> or <c>OUT_DIR/attack</c> as <c>SUBJECT_NAME.png</c>, where the subject is the photo's first folder
/// under DIR: the trainer splits by it, never by frame. <c>OUT_DIR/crops.json</c> records the margin and size, which the
/// pack the trainer writes takes over; photos without a face are listed in <c>OUT_DIR/no_face.tsv</c>.
/// </summary>
public sealed class LivenessCropsCommand : Command<LivenessCropsCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--real <DIR>")]
        [Description("Photos of live people, one folder per subject.")]
        public string Real { get; init; } = "";

        [CommandOption("--spoof <DIR>")]
        [Description("Photos of presentation attacks, one folder per subject.")]
        public string Spoof { get; init; } = "";

        [CommandOption("--out <OUT_DIR>")]
        public string Output { get; init; } = "";

        [CommandOption("--margin <M>")]
        [Description("Context around the face: each side of the crop is (1 + M) × the box's longer side.")]
        [DefaultValue(0.5f)]
        public float Margin { get; init; } = 0.5f;

        [CommandOption("--size <N>")]
        [Description("The crops' side in pixels (the trainer takes 112).")]
        [DefaultValue(112)]
        public int Size { get; init; } = 112;

        public override ValidationResult Validate() =>
            Real.Length == 0 || Spoof.Length == 0 || Output.Length == 0 ? ValidationResult.Error("--real, --spoof and --out are required.")
            : Margin is < 0 or > 3 ? ValidationResult.Error("--margin is between 0 (the face box) and 3.")
            : Size is < 16 or > 512 ? ValidationResult.Error("--size is between 16 and 512 pixels.")
            : ValidationResult.Success();
    }

    /// <summary>The subject of a photo: its first folder under the set's root (photos at the root have none).</summary>
    public static string SubjectOf(string root, string photo)
    {
        var relative = Path.GetRelativePath(root, photo).Split(Path.DirectorySeparatorChar);
        return relative.Length > 1 ? relative[0] : "none";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        foreach (var dir in new[] { settings.Real, settings.Spoof })
            if (!Directory.Exists(dir))
                throw new DirectoryNotFoundException($"The folder '{dir}' does not exist.");
        var photos = AlignCommand.PhotosUnder(settings.Real).Select(p => (Photo: p, Root: settings.Real, Class: LivenessCrops.Live))
            .Concat(AlignCommand.PhotosUnder(settings.Spoof).Select(p => (Photo: p, Root: settings.Spoof, Class: LivenessCrops.Attack)))
            .ToArray();
        foreach (var name in new[] { LivenessCrops.Live, LivenessCrops.Attack })
            Directory.CreateDirectory(Path.Combine(settings.Output, name));
        using var pipeline = settings.OpenPipeline();
        var failures = new ConcurrentBag<(string Photo, string Reason)>();
        ConsoleProgress.Run($"cropping {photos.Length} photos (margin {settings.Margin})", photos.Length, tick =>
            Parallel.ForEach(photos, new ParallelOptions { MaxDegreeOfParallelism = settings.Workers }, item =>
            {
                try
                {
                    var image = ImageDecoder.Decode(File.ReadAllBytes(item.Photo));
                    if (pipeline.FindPrimary(image) is { } face)
                    {
                        string name = $"{SubjectOf(item.Root, item.Photo)}_{Path.GetFileNameWithoutExtension(item.Photo)}.png";
                        File.WriteAllBytes(Path.Combine(settings.Output, item.Class, name),
                            ImageEncoder.Encode(LivenessModel.Crop(image, face.Box, settings.Margin, settings.Size)));
                    }
                    else
                    {
                        failures.Add((item.Photo, "no face found"));
                    }
                }
                catch (InvalidImageException e)
                {
                    failures.Add((item.Photo, e.Message));
                }
                tick();
            }));
        File.WriteAllLines(Path.Combine(settings.Output, "no_face.tsv"),
            failures.OrderBy(f => f.Photo, StringComparer.Ordinal).Select(f => $"{f.Photo}\t{f.Reason}"));
        new LivenessCrops(settings.Margin, settings.Size, settings.Pack, settings.Real, settings.Spoof).WriteTo(settings.Output);
        AnsiConsole.MarkupLine($"cropped [bold]{photos.Length - failures.Count}[/] of {photos.Length} photos " +
                               $"into {Markup.Escape(settings.Output)}; " +
                               $"[bold]{failures.Count}[/] without a face (listed in no_face.tsv)");
        return 0;
    }
}
