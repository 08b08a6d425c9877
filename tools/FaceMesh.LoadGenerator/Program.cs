// facemesh-load --server URL --rpc verify|identify --concurrency N [--rate R] --duration S --photos DIR
//               [--size 250] [--gallery G --enroll DIR] [--json OUT] [--in-process PACK_DIR]
// facemesh-load --events --matcher URL [--broker HOST] [--vhost /] --rate R --duration S [--json OUT]
// facemesh-load --soak --server URL --photos DIR --rate R --minutes M [--warmup-minutes 2] [--out DIR]
// The arguments: LoadCommand (facemesh-load --help lists them).
using FaceMesh.LoadGenerator;
using Spectre.Console.Cli;

var app = new CommandApp<LoadCommand>();
app.Configure(config => config.SetApplicationName("facemesh-load"));
return await app.RunAsync(args);
