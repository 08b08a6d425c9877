using FaceMesh.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary><c>facemesh subjects --gallery G</c>: every subject of the gallery with its face count.</summary>
public sealed class SubjectsCommand : Command<ServerSettings>
{
    public override int Execute(CommandContext context, ServerSettings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var table = new Table().AddColumns("subject", "faces");
        string token = "";
        int count = 0;
        do
        {
            var page = client.ListSubjects(new ListSubjectsRequest { Gallery = settings.Gallery, PageSize = 500, PageToken = token });
            foreach (var s in page.Subjects)
            {
                table.AddTextRow(s.SubjectId, s.FaceIds.Count.ToString());
                count++;
            }
            token = page.NextPageToken;
        } while (token.Length > 0);
        AnsiConsole.MarkupLine($"gallery '{Markup.Escape(settings.Gallery)}': {count} subject(s)");
        AnsiConsole.Write(table);
        return 0;
    }
}
