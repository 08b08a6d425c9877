// facemesh-train CONFIG.json [--resume] [--pack OUT_DIR --model-id ID [--base-pack deploy/models/default]]
// facemesh-train --throughput [--batch 32] [--steps 10]   training images/s per backbone
// facemesh-train --compare OUT.png RUN_DIR...              finished runs side by side
// (or tools/facemesh train ...). Trains a face embedding model as the config says; see TrainingConfig.cs for the fields
// and tools/FaceMesh.Training/experiments/ for examples. Writes checkpoints, metrics.json and curves.png into the
// config's output folder; --resume continues from its newest checkpoint. The arguments: TrainCommand.
using FaceMesh.Training;
using Spectre.Console.Cli;

var app = new CommandApp<TrainCommand>();
app.Configure(config => config.SetApplicationName("facemesh-train"));
return app.Run(args);
