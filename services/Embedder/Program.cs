FaceMesh.Embedder.EmbedderHost.Build(args).Run();
