"""Presets: saved combinations of library resources (`schema`), their seeded resolution into a
`GenerationSpec` (`resolve`, pure), what they reference (`references`), their storage
(`store`) and the service the API and the UI use (`service`)."""
