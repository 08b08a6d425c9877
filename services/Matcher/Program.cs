FaceMesh.Matcher.MatcherHost.Build(args).Run();
