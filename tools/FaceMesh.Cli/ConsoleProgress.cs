using Spectre.Console;

namespace FaceMesh.Cli;

/// <summary>
/// Progress for long jobs: a live bar on a terminal; on a log (CI, a pipe) a line at every tenth, so
/// the output stays readable.
/// </summary>
public static class ConsoleProgress
{
    public static void Run(string description, int total, Action<Action> work)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                         new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(description, maxValue: Math.Max(total, 1));
                    work(() => task.Increment(1));
                });
            return;
        }
        int done = 0, nextReport = 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        object gate = new();
        Console.Error.WriteLine($"{description}: 0/{total}");
        work(() =>
        {
            lock (gate)
            {
                done++;
                if (done * 10 >= nextReport * total || done == total)
                {
                    Console.Error.WriteLine($"{description}: {done}/{total} ({clock.Elapsed.TotalSeconds:F0} s)");
                    while (nextReport * total <= done * 10)
                        nextReport++;
                }
            }
        });
    }
}
