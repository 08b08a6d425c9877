// facemesh-fuzz TARGET                  one target under afl-fuzz (tools/fuzz/run starts it; input on stdin, SharpFuzz's
//                                       out-of-process mode)
// facemesh-fuzz TARGET --replay FILE... runs inputs directly (a crash found by afl-fuzz, or the regression set) and says which fail
// facemesh-fuzz request --seeds PHOTO_DIR OUT_DIR   writes seed requests (every RPC) carrying the photos of PHOTO_DIR
// Targets: image (photo decoding), request (the Gateway's request parsing and checks, and every photo in it). The arguments:
// FuzzCommand.
using FaceMesh.Fuzzing;
using Spectre.Console.Cli;

var app = new CommandApp<FuzzCommand>();
app.Configure(config => config.SetApplicationName("facemesh-fuzz"));
return app.Run(args);
