// facemesh-bench [--pack DIR] [--examples DIR] [--runs N] [--json OUT] | --kernels | --decode [--wider DIR] [--runs N]
//                | --search [--sizes 100000,1000000] [--real] [--queries N] [--no-restart] [--json OUT] | --crowd
// The arguments: BenchCommand.
using FaceMesh.Benchmarks;
using Spectre.Console.Cli;

var app = new CommandApp<BenchCommand>();
app.Configure(config => config.SetApplicationName("facemesh-bench"));
return app.Run(args);
