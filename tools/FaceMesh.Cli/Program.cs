return FaceMesh.Cli.FaceMeshApp.Create().Run(args);
