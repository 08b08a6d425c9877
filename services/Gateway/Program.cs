FaceMesh.Gateway.GatewayHost.Build(args).Run();
