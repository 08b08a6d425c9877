using System.ComponentModel;
using FaceMesh.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh enroll --gallery G --subject S PHOTO…</c>: enrolls photos of one person.</summary>
public sealed class EnrollCommand : Command<EnrollCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandOption("--subject <ID>")]
        [Description("The person the photos show.")]
        public string Subject { get; init; } = "";

        [CommandOption("--face <INDEX>")]
        [Description("Which face of a photo with several (as 'facemesh detect' numbers them).")]
        public int? Face { get; init; }

        [CommandArgument(0, "<PHOTOS>")]
        public string[] Photos { get; init; } = [];

        public override ValidationResult Validate() =>
            Subject.Length == 0 ? ValidationResult.Error("--subject is required.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var request = new EnrollRequest { Gallery = settings.Gallery, SubjectId = settings.Subject };
        foreach (var path in settings.Photos)
        {
            var photo = new EnrollPhoto { Image = ServerSettings.Photo(path) };
            if (settings.Face is { } face)
                photo.FaceIndex = face;
            request.Photos.Add(photo);
        }
        var response = client.Enroll(request);
        var table = new Table().AddColumns("photo", "face id", "quality", "flag");
        for (int i = 0; i < response.Faces.Count; i++)
            table.AddTextRow(settings.Photos[i], response.Faces[i].FaceId, $"{response.Faces[i].Face.Quality.Overall:F2}", response.Faces[i].LowQuality ? "low quality" : "");
        AnsiConsole.MarkupLine($"enrolled '{Markup.Escape(settings.Subject)}' into '{Markup.Escape(settings.Gallery)}' (model {Markup.Escape(response.ModelId)})");
        AnsiConsole.Write(table);
        return 0;
    }
}
