FaceMesh.Detector.DetectorHost.Build(args).Run();
