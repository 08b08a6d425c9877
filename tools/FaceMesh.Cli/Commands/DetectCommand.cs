using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh detect IMAGE</c>: every face with box, landmarks, score and quality.</summary>
public sealed class DetectCommand : Command<DetectCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandArgument(0, "<IMAGE>")]
        [Description("A photo (JPEG, PNG, WebP, BMP, GIF).")]
        public string Image { get; init; } = "";

        [CommandOption("--draw <OUT_PNG>")]
        [Description("Write the photo with the faces drawn on it.")]
        public string? Draw { get; init; }

        [CommandOption("--json")]
        [Description("Print JSON instead of a table.")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var pipeline = settings.OpenPipeline();
        var image = ImageDecoder.Decode(File.ReadAllBytes(settings.Image));
        var faces = pipeline.Detect(image);
        int primary = faces.Count == 0 ? -1 : PrimaryFace.IndexOf(faces, image.Width, image.Height, pipeline.Options.PrimaryScoreMargin);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                image = settings.Image,
                width = image.Width,
                height = image.Height,
                faces = faces.Select((f, i) => new
                {
                    box = new[] { f.Box.Left, f.Box.Top, f.Box.Width, f.Box.Height },
                    score = f.Score,
                    landmarks = f.Landmarks.Select(p => new[] { p.X, p.Y }),
                    quality = f.Quality,
                    primary = i == primary,
                }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            AnsiConsole.MarkupLine($"{Markup.Escape(settings.Image)}: {image.Width}x{image.Height}, [bold]{faces.Count}[/] face(s)");
            var table = new Table().AddColumns("#", "box (x,y w×h)", "score", "landmarks (eyes, nose, mouth)", "quality");
            for (int i = 0; i < faces.Count; i++)
            {
                var f = faces[i];
                table.AddTextRow(i == primary ? $"{i} (primary)" : $"{i}", f.Box.ToString(), $"{f.Score:F3}",
                             string.Join(" ", f.Landmarks.Select(p => $"({p.X:F0},{p.Y:F0})")), f.Quality.ToString());
            }
            AnsiConsole.Write(table);
        }
        if (settings.Draw is not null)
        {
            FaceDrawing.Save(image, FaceDrawing.Marks(faces, primary), settings.Draw);
            Console.Error.WriteLine($"drawn: {settings.Draw}");
        }
        return 0;
    }
}
