using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Contracts.V1;
using FaceMesh.Imaging;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh identify IMAGE --gallery G</c>: who, in the gallery, is each face of the photo.</summary>
public sealed class IdentifyCommand : Command<IdentifyCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<IMAGE>")]
        public string Image { get; init; } = "";

        [CommandOption("--draw <OUT_PNG>")]
        [Description("Write the photo with each face's name (or 'unknown') drawn on it.")]
        public string? Draw { get; init; }

        [CommandOption("--json <OUT>")]
        [Description("Write the answer as JSON.")]
        public string? Json { get; init; }

        [CommandOption("--top-k <K>")]
        [DefaultValue(3)]
        public int TopK { get; init; } = 3;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var response = client.Identify(new IdentifyRequest { Gallery = settings.Gallery, Image = ServerSettings.Photo(settings.Image), TopK = settings.TopK });
        var table = new Table().AddColumns("#", "box", "name", "score", "other candidates");
        for (int i = 0; i < response.Faces.Count; i++)
        {
            var f = response.Faces[i];
            var best = f.Candidates.FirstOrDefault();
            table.AddTextRow($"{i}", $"[{f.Face.Box.Left:F0},{f.Face.Box.Top:F0} {f.Face.Box.Width:F0}x{f.Face.Box.Height:F0}]",
                             f.Match ? best!.SubjectId : "unknown", best is null ? "" : $"{best.Score:F3}",
                             string.Join(", ", f.Candidates.Skip(1).Select(c => $"{c.SubjectId} {c.Score:F3}")));
        }
        AnsiConsole.MarkupLine($"{response.Faces.Count} face(s); decisions at FAR {response.Far} (threshold {response.Threshold:F4}, model {Markup.Escape(response.ModelId)})");
        AnsiConsole.Write(table);
        if (settings.Json is not null)
            File.WriteAllText(settings.Json, JsonSerializer.Serialize(response.Faces.Select(f => new
            {
                box = new[] { f.Face.Box.Left, f.Face.Box.Top, f.Face.Box.Width, f.Face.Box.Height },
                name = f.Match ? f.Candidates[0].SubjectId : null,
                score = f.Candidates.FirstOrDefault()?.Score,
            }), new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (settings.Draw is not null)
            Draw(settings.Image, response, settings.Draw);
        return 0;
    }

    private static void Draw(string photo, IdentifyResponse response, string target)
    {
        var marks = response.Faces.Select(f => new FaceMark(f.Face.Box.Left, f.Face.Box.Top, f.Face.Box.Width, f.Face.Box.Height,
            f.Match ? $"{f.Candidates[0].SubjectId} {f.Candidates[0].Score:F2}" : "unknown", f.Match ? SKColors.Lime : SKColors.Orange));
        FaceDrawing.Save(ImageDecoder.Decode(File.ReadAllBytes(photo)), marks, target);
        Console.Error.WriteLine($"drawn: {target}");
    }
}
