@echo off
rem vela-companion: the command line of the installed Vela Companion app (Windows).
rem electron-builder ships this file as <install dir>\resources\bin\vela-companion.cmd (extraResources
rem in electron-builder.yml). It runs the app's own binary as Node (ELECTRON_RUN_AS_NODE=1, which is why
rem the runAsNode fuse stays on) on the CLI entry inside app.asar, so no separate Node is needed.
rem Add <install dir>\resources\bin to PATH to type vela-companion anywhere.
setlocal
if not exist "%~dp0..\..\Vela Companion.exe" (
  echo vela-companion: the Vela Companion app was not found next to %~f0 1>&2
  exit /b 127
)
set "ELECTRON_RUN_AS_NODE=1"
"%~dp0..\..\Vela Companion.exe" "%~dp0..\app.asar\bin\vela-companion.js" %*
endlocal & exit /b %ERRORLEVEL%
