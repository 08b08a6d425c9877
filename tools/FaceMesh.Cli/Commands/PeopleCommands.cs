using System.ComponentModel;
using FaceMesh.Contracts.V1;
using Grpc.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

// `facemesh people ...`: unlabelled photos grouped by person through the fleet (the public API's people RPCs).

/// <summary>
/// <c>facemesh people add DIR --gallery G</c>: every photo under DIR (any depth; its path below DIR is its photo id), 8
/// per call, each call answered once its faces are grouped. A batch the Gateway refuses (an unreadable photo) is sent
/// again photo by photo, so the refused photos are listed at the end and do not stop the others.
/// </summary>
public sealed class PeopleAddCommand : Command<PeopleAddCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<DIR>")]
        [Description("Folder of photos (searched at any depth).")]
        public string Folder { get; init; } = "";
    }

    private const int PhotosPerCall = 8;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!Directory.Exists(settings.Folder))
            throw new DirectoryNotFoundException($"The folder '{settings.Folder}' does not exist.");
        var paths = AlignCommand.PhotosUnder(settings.Folder);
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var refused = new List<(string Photo, string Reason)>();
        int faces = 0, waiting = 0, noFace = 0;
        void Send(IReadOnlyList<string> batch)
        {
            var request = new AddPhotosRequest { Gallery = settings.Gallery, WaitUntilGrouped = true };
            request.Photos.Add(batch.Select(p => new PeoplePhoto
            {
                PhotoId = Path.GetRelativePath(settings.Folder, p).Replace('\\', '/'), Image = ServerSettings.Photo(p),
            }));
            var added = client.AddPhotos(request, deadline: DateTime.UtcNow.AddMinutes(2));
            faces += added.Photos.Sum(p => p.Faces.Count);
            waiting += added.Photos.Sum(p => p.Faces.Count(f => f.PersonId.Length == 0));
            noFace += added.Photos.Count(p => p.Faces.Count == 0);
        }
        ConsoleProgress.Run($"adding {paths.Length} photos to the people of '{settings.Gallery}'", paths.Length, tick =>
        {
            foreach (var batch in paths.Chunk(PhotosPerCall))
            {
                try
                {
                    Send(batch);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && batch.Length > 1)
                {
                    foreach (var path in batch)
                        try
                        {
                            Send([path]);
                        }
                        catch (RpcException one) when (one.StatusCode == StatusCode.InvalidArgument)
                        {
                            refused.Add((Path.GetRelativePath(settings.Folder, path), one.Status.Detail));
                        }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
                {
                    refused.Add((Path.GetRelativePath(settings.Folder, batch[0]), e.Status.Detail));
                }
                for (int i = 0; i < batch.Length; i++)
                    tick();
            }
        });
        var people = client.ListPeople(new ListPeopleRequest { Gallery = settings.Gallery, IncludeSingleFaces = true, PageSize = 1000 });
        AnsiConsole.MarkupLine($"added [bold]{faces}[/] faces of {paths.Length - refused.Count} photos " +
                               $"({noFace} without a face, {waiting} " +
                               $"waiting for a better photo); '{Markup.Escape(settings.Gallery)}' has [bold]{people.People.Count}[/]" +
                               (people.NextPageToken.Length > 0 ? "+" : "") + $" people; [bold]{refused.Count}[/] photos refused");
        foreach (var (photo, reason) in refused)
            AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(photo)}[/]: {Markup.Escape(reason)}");
        return 0;
    }
}

/// <summary><c>facemesh people list --gallery G [--all]</c>: people, most faces first, with their best face's photo.</summary>
public sealed class PeopleListCommand : Command<PeopleListCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandOption("--all")]
        [Description("Also the people of one face.")]
        public bool All { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var table = new Table().AddColumns("person", "name", "faces", "best face (photo)", "photos");
        string token = "";
        long count = 0, waiting = 0;
        do
        {
            var page = client.ListPeople(new ListPeopleRequest
            {
                Gallery = settings.Gallery, PageSize = 500, PageToken = token, IncludeSingleFaces = settings.All,
            });
            foreach (var p in page.People)
            {
                string photos = string.Join(", ", p.PhotoIds.Take(3)) + (p.PhotoIds.Count > 3 ? $" (+{p.PhotoIds.Count - 3})" : "");
                table.AddTextRow(p.PersonId, p.Name, p.FaceCount.ToString(), p.Representative?.PhotoId ?? "", photos);
                count++;
            }
            waiting = page.WaitingFaces;
            token = page.NextPageToken;
        } while (token.Length > 0);
        string which = settings.All ? "" : " of two faces or more";
        AnsiConsole.MarkupLine($"gallery '{Markup.Escape(settings.Gallery)}': {count} people{which}, " +
                               $"{waiting} faces waiting");
        AnsiConsole.Write(table);
        return 0;
    }
}

/// <summary><c>facemesh people show PERSON</c>: a person's faces, best first.</summary>
public sealed class PeopleShowCommand : Command<PeopleShowCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<PERSON>")]
        public string Person { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var person = client.GetPerson(new GetPersonRequest { Gallery = settings.Gallery, PersonId = settings.Person });
        PeopleOutput.Person(person);
        var table = new Table().AddColumns("face", "photo", "box", "quality");
        foreach (var f in person.Faces)
            table.AddTextRow(f.FaceId, f.PhotoId, $"{f.Box.Left:F0},{f.Box.Top:F0} {f.Box.Width:F0}x{f.Box.Height:F0}",
                f.Quality.ToString("F2"));
        AnsiConsole.Write(table);
        return 0;
    }
}

/// <summary><c>facemesh people merge PERSON OTHER...</c>: the others' faces join PERSON.</summary>
public sealed class PeopleMergeCommand : PersonCorrection<PeopleMergeCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<PERSON>")]
        public string Person { get; init; } = "";

        [CommandArgument(1, "<OTHER>")]
        public string[] Others { get; init; } = [];
    }

    protected override Person Apply(FaceMeshApi.FaceMeshApiClient client, Settings settings) =>
        client.MergePeople(new MergePeopleRequest
        {
            Gallery = settings.Gallery, PersonId = settings.Person, OtherPersonIds = { settings.Others },
        });
}

/// <summary><c>facemesh people move FACE [--to PERSON]</c>: a face to another person, or to one of its own.</summary>
public sealed class PeopleMoveCommand : PersonCorrection<PeopleMoveCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<FACE>")]
        public string Face { get; init; } = "";

        [CommandOption("--to <PERSON>")]
        [Description("The person to move the face to; without it, the face becomes a person of its own.")]
        public string? To { get; init; }
    }

    protected override Person Apply(FaceMeshApi.FaceMeshApiClient client, Settings settings) =>
        client.MoveFace(new MoveFaceRequest
        {
            Gallery = settings.Gallery, FaceId = settings.Face,
            PersonId = settings.To ?? ""
        });
}

/// <summary><c>facemesh people not PERSON FACE</c>: the face is not this person, now or after any regrouping.</summary>
public sealed class PeopleNotCommand : PersonCorrection<PeopleNotCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<PERSON>")]
        public string Person { get; init; } = "";

        [CommandArgument(1, "<FACE>")]
        public string Face { get; init; } = "";
    }

    protected override Person Apply(FaceMeshApi.FaceMeshApiClient client, Settings settings) =>
        client.NotThisPerson(new NotThisPersonRequest
        {
            Gallery = settings.Gallery, PersonId = settings.Person,
            FaceId = settings.Face
        });
}

/// <summary><c>facemesh people name PERSON SUBJECT</c>: the person becomes subject SUBJECT, for verify and identify.</summary>
public sealed class PeopleNameCommand : PersonCorrection<PeopleNameCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<PERSON>")]
        public string Person { get; init; } = "";

        [CommandArgument(1, "<SUBJECT>")]
        public string Subject { get; init; } = "";
    }

    protected override Person Apply(FaceMeshApi.FaceMeshApiClient client, Settings settings) =>
        client.NamePerson(new NamePersonRequest
        {
            Gallery = settings.Gallery, PersonId = settings.Person,
            SubjectId = settings.Subject
        });
}

/// <summary><c>facemesh people delete PERSON</c>: erases the person's faces (and its subject when it was named).</summary>
public sealed class PeopleDeleteCommand : Command<PeopleDeleteCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<PERSON>")]
        public string Person { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var deleted = client.DeletePerson(new DeletePersonRequest { Gallery = settings.Gallery, PersonId = settings.Person });
        AnsiConsole.MarkupLine($"erased person {Markup.Escape(settings.Person)}: {deleted.DeletedFaces} faces");
        return 0;
    }
}

/// <summary><c>facemesh people regroup</c>: every face grouped again from scratch, keeping the corrections.</summary>
public sealed class PeopleRegroupCommand : Command<ServerSettings>
{
    public override int Execute(CommandContext context, ServerSettings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var r = client.RegroupPeople(new RegroupPeopleRequest { Gallery = settings.Gallery }, deadline: DateTime.UtcNow.AddMinutes(10));
        AnsiConsole.MarkupLine(
            $"regrouped '{Markup.Escape(settings.Gallery)}': {r.People} people, {r.Faces} faces, {r.WaitingFaces} waiting");
        return 0;
    }
}

/// <summary>A correction: one call, and the person it leaves printed.</summary>
public abstract class PersonCorrection<TSettings> : Command<TSettings> where TSettings : ServerSettings
{
    protected abstract Person Apply(FaceMeshApi.FaceMeshApiClient client, TSettings settings);

    public override int Execute(CommandContext context, TSettings settings, CancellationToken cancellation)
    {
        var (client, channel) = settings.Connect();
        using var _ = channel;
        PeopleOutput.Person(Apply(client, settings));
        return 0;
    }
}

internal static class PeopleOutput
{
    public static void Person(Person p) =>
        AnsiConsole.MarkupLine($"person [bold]{Markup.Escape(p.PersonId)}[/]{(p.Name.Length > 0 ? $" ({Markup.Escape(p.Name)})" : "")}: " +
                               $"{p.FaceCount} faces in {p.PhotoIds.Count} photos");
}
