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
            config.AddCommand<VerifyCommand>("verify").WithDescription("Are two photos the same person? Score and decision at each calibrated FAR.");
            config.AddBranch("eval", eval =>
            {
                eval.SetDescription("The standard evaluation protocols.");
                eval.AddCommand<EvalVerifyCommand>("verify").WithDescription("LFW View-2 10-fold accuracy, TAR@FAR, EER and ROC curve.");
                eval.AddCommand<EvalDetectCommand>("detect").WithDescription("Detection AP at IoU 0.5 on WIDER-format ground truth.");
            });
            config.AddCommand<CalibrateCommand>("calibrate").WithDescription("Calibrate FAR thresholds on a labelled set and write them into the pack.");
            config.SetExceptionHandler((exception, _) =>
            {
                // Expected failures (bad input, missing model, wrong hash) are one clear line, not a stack trace.
                var message = exception switch
                {
                    InvalidImageException or ModelFileException or FileNotFoundException or DirectoryNotFoundException or FormatException => exception.Message,
                    CommandAppException => exception.Message,
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
