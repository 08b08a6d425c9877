// The Gateway; "selftest" runs one Verify through a running Gateway instead (the chart's helm test).
if (args.Length > 0 && args[0] == "selftest")
    return await FaceMesh.Gateway.SelfTest.RunAsync(args[1..], Console.Out);
FaceMesh.Gateway.GatewayHost.Build(args).Run();
return 0;
