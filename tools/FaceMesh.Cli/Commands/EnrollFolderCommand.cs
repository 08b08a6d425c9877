using FaceMesh.Client;
using System.Collections.Concurrent;
using System.ComponentModel;
using FaceMesh.Contracts.V1;
using Grpc.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh enroll-folder DIR --gallery G</c>: one folder per person, every photo enrolled into the
/// gallery as that person, through the fleet. A photo with several faces enrolls its largest; photos
/// refused (no face, low quality, unreadable) are listed at the end and do not stop the others.
/// </summary>
public sealed class EnrollFolderCommand : Command<EnrollFolderCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<DIR>")]
        [Description("Folder of folders: DIR/<subject>/<photo>.")]
        public string Folder { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!Directory.Exists(settings.Folder))
            throw new DirectoryNotFoundException($"The folder '{settings.Folder}' does not exist.");
        var photos = Directory.GetDirectories(settings.Folder).Order(StringComparer.Ordinal)
            .SelectMany(dir => Directory.GetFiles(dir).Where(p => AlignCommand.PhotoExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).Select(p => (Subject: Path.GetFileName(dir), Photo: p)))
            .ToArray();
        var (client, channel) = settings.Connect();
        using var _ = channel;
        var refused = new ConcurrentBag<(string Photo, string Reason)>();
        int enrolled = 0;
        ConsoleProgress.Run($"enrolling {photos.Length} photos into '{settings.Gallery}'", photos.Length, tick =>
        {
            foreach (var (subject, path) in photos)
            {
                try
                {
                    var photo = new EnrollPhoto { Image = ServerSettings.Photo(path) };
                    var faces = client.Detect(new DetectRequest { Image = photo.Image }).Faces;
                    if (faces.Count > 1)
                        photo.FaceIndex = faces.LargestFace();
                    client.Enroll(new EnrollRequest { Gallery = settings.Gallery, SubjectId = subject, Photos = { photo } });
                    enrolled++;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
                {
                    refused.Add((Path.GetRelativePath(settings.Folder, path), e.Status.Detail));
                }
                tick();
            }
        });
        AnsiConsole.MarkupLine($"enrolled [bold]{enrolled}[/] photos of {photos.Select(p => p.Subject).Distinct().Count()} subjects into '{Markup.Escape(settings.Gallery)}'; [bold]{refused.Count}[/] refused");
        foreach (var (photo, reason) in refused.OrderBy(r => r.Photo, StringComparer.Ordinal))
            AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(photo)}[/]: {Markup.Escape(reason)}");
        return 0;
    }
}
