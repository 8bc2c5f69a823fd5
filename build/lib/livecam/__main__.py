from livecam.cli import main

raise SystemExit(main())
