using System.Collections.Concurrent;
using System.ComponentModel;
using FaceMesh.Imaging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh align IN_DIR OUT_DIR</c>: folder-per-identity photos in, aligned crops of each photo's
/// primary face out (PNG, same folders and names): the trainer's data preparation. Photos without a
/// face are listed on the console and in <c>OUT_DIR/no_face.tsv</c>.
/// </summary>
public sealed class AlignCommand : Command<AlignCommand.Settings>
{
    public static readonly string[] PhotoExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    /// <summary>Every photo under <paramref name="folder"/>, at any depth, in path order.</summary>
    public static string[] PhotosUnder(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        .Where(p => PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray();

    public sealed class Settings : PipelineSettings
    {
        [CommandArgument(0, "<IN_DIR>")]
        public string Input { get; init; } = "";

        [CommandArgument(1, "<OUT_DIR>")]
        public string Output { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!Directory.Exists(settings.Input))
            throw new DirectoryNotFoundException($"The input folder '{settings.Input}' does not exist.");
        var photos = Directory.EnumerateFiles(settings.Input, "*", SearchOption.AllDirectories)
            .Where(p => PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        using var pipeline = settings.OpenPipeline();
        var failures = new ConcurrentBag<(string Photo, string Reason)>();
        ConsoleProgress.Run("aligning", photos.Length, tick =>
            Parallel.ForEach(photos, new ParallelOptions { MaxDegreeOfParallelism = settings.Workers }, photo =>
            {
                try
                {
                    var face = pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(photo)));
                    if (face is null)
                    {
                        failures.Add((photo, "no face found"));
                    }
                    else
                    {
                        var target = Path.ChangeExtension(Path.Combine(settings.Output, Path.GetRelativePath(settings.Input, photo)), ".png");
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.WriteAllBytes(target, ImageEncoder.Encode(face.AlignedCrop));
                    }
                }
                catch (InvalidImageException e)
                {
                    failures.Add((photo, e.Message));
                }
                tick();
            }));
        Directory.CreateDirectory(settings.Output);
        var report = failures.OrderBy(f => f.Photo, StringComparer.Ordinal).ToArray();
        File.WriteAllLines(Path.Combine(settings.Output, "no_face.tsv"),
            report.Select(f => $"{Path.GetRelativePath(settings.Input, f.Photo)}\t{f.Reason}"));
        AnsiConsole.MarkupLine($"aligned [bold]{photos.Length - report.Length}[/] of {photos.Length} photos into {Markup.Escape(settings.Output)}; " +
                               $"[bold]{report.Length}[/] without a usable face (listed in no_face.tsv)");
        foreach (var (photo, reason) in report)
            AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(Path.GetRelativePath(settings.Input, photo))}[/]: {Markup.Escape(reason)}");
        return 0;
    }
}
