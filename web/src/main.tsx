// Entry point of the operator dashboard (served by `sofia serve` at `/`).
import { render } from 'preact'
import { App, takeTokenFromHash } from './app'
import './styles.css'

// Read before anything renders, so the token leaves the address bar at once.
const fromHash = takeTokenFromHash()
const root = document.getElementById('app')
if (root !== null) render(<App initialToken={fromHash} />, root)
