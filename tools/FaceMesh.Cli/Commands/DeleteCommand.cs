using System.ComponentModel;
using FaceMesh.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh delete --gallery G --subject S</c>: erases every face of a subject.</summary>
public sealed class DeleteCommand : Command<DeleteCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandOption("--subject <ID>")]
        [Description("The subject to erase.")]
        public string Subject { get; init; } = "";

        public override ValidationResult Validate() =>
            Subject.Length == 0 ? ValidationResult.Error("--subject is required.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var response = client.DeleteSubject(new DeleteSubjectRequest { Gallery = settings.Gallery, SubjectId = settings.Subject });
        AnsiConsole.MarkupLine($"deleted subject '{Markup.Escape(settings.Subject)}': {response.DeletedFaces} face(s) erased");
        return 0;
    }
}
